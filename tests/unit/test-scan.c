/*
 * Unit tests for scan_floor (daemon/scan.c): the earliest ctime a file
 * written at or after a moment can have, one coarse clock tick earlier,
 * rounded down to the file system's timestamp granularity; for
 * scan_settled_at, the moment a clean stop may end; and for a start's
 * crawl begun ahead of the load (scan_ahead), which must leave the
 * records and watches a crawl from scratch leaves.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"
#include "daemon.h"
#include "index.h"
#include "scan.h"
#include "stamp.h"
#include "unit.h"
#include "util.h"
#include "watch.h"

#define SEC	1000000000LL
#define MS	1000000LL
#define ROOTDEV	2049

static const struct scan_clock	coarse = { ROOTDEV, SEC, 4 * MS };
static const struct scan_clock	fine = { ROOTDEV, 1, 4 * MS };

void
scan_floor_one_tick_earlier(void)
{
	/* Nanosecond timestamps: exactly one tick before. */
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV, 10 * SEC + 500 * MS),
	    10 * SEC + 496 * MS);
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV, 10 * SEC),
	    10 * SEC - 4 * MS);
}

void
scan_floor_rounds_down_to_granularity(void)
{
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 10 * SEC + 500 * MS),
	    10 * SEC);
	/* The tick reaches back into the second before. */
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 10 * SEC + 3 * MS),
	    9 * SEC);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 10 * SEC + 4 * MS),
	    10 * SEC);
}

void
scan_floor_other_device_two_seconds(void)
{
	/* Off the root's file system, 2 s is assumed (FAT). */
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV + 1, 11 * SEC + 500 * MS),
	    10 * SEC);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV + 1, 13 * SEC), 12 * SEC);
}

void
scan_floor_never_negative(void)
{
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV, 0), 0);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 3 * MS), 0);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 4 * MS), 0);
}

/* A record at relpath on device dev with ctime ctime_ns. */
static void
settle_rec(struct index *ix, const char *relpath, uint64_t dev,
    int64_t ctime_ns, int exists)
{
	struct rec	*r = index_get(ix, relpath);

	index_set_dev(r, dev);
	r->ctime_ns = ctime_ns;
	r->exists = (uint8_t)exists;
}

/*
 * A clean stop waits until scan_floor() has passed every recorded ctime
 * (batch_stop): the first such moment, not a nanosecond earlier.
 */
void
scan_settled_at_first_moment_past_every_ctime(void)
{
	struct index	*ix = index_new();
	struct scan	*s;
	int64_t		 t;

	s = scan_new(-1, "/r", ix, NULL, NULL, NULL, &coarse);
	CHECK_EQ_INT(scan_settled_at(s), 0);
	settle_rec(ix, "a", ROOTDEV, 10 * SEC + 300 * MS, 1);
	settle_rec(ix, "b", ROOTDEV, 12 * SEC, 1);
	settle_rec(ix, "gone", ROOTDEV, 50 * SEC, 0);	/* not a file now */
	t = scan_settled_at(s);
	CHECK_EQ_INT(t, 13 * SEC + 4 * MS);
	CHECK(scan_floor(&coarse, ROOTDEV, t) > 12 * SEC);
	CHECK(scan_floor(&coarse, ROOTDEV, t - 1) <= 12 * SEC);
	scan_free(s);

	s = scan_new(-1, "/r", ix, NULL, NULL, NULL, &fine);
	t = scan_settled_at(s);
	CHECK_EQ_INT(t, 12 * SEC + 1 + 4 * MS);
	CHECK(scan_floor(&fine, ROOTDEV, t) > 12 * SEC);
	CHECK(scan_floor(&fine, ROOTDEV, t - 1) <= 12 * SEC);
	/* Off the root's file system, 2 s granularity is assumed. */
	settle_rec(ix, "mnt/c", ROOTDEV + 1, 12 * SEC + 500 * MS, 1);
	CHECK_EQ_INT(scan_settled_at(s), 14 * SEC + 4 * MS);
	scan_free(s);
	index_free(ix);
}

/* ------------------------------------------------ a crawl begun ahead */

static char	*ahead_globs[] = { "*.o", NULL };

/*
 * A tree of 10 directories: the root, a b c, each with x/ and y/ of five
 * files, a/x/skip.o (ignored), a symlink to a directory (recorded, not
 * followed) and a file at the top.
 */
static char *
ahead_tree(void)
{
	static const char *const dirs[] = { "a", "b", "c", "a/x", "a/y",
	    "b/x", "b/y", "c/x", "c/y" };
	char	 tmpl[] = "/tmp/depcheck-unit.XXXXXX", *p;
	size_t	 i;
	int	 j, fd, rootfd;

	if (mkdtemp(tmpl) == NULL ||
	    (rootfd = open(tmpl, O_RDONLY | O_DIRECTORY)) == -1)
		unit_fail(__FILE__, __LINE__, "cannot make the tree");
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (mkdirat(rootfd, dirs[i], 0700) != 0)
			unit_fail(__FILE__, __LINE__, "mkdir %s", dirs[i]);
		for (j = 0; i >= 3 && j < 5; j++) {
			xasprintf(&p, "%s/f%d", dirs[i], j);
			if ((fd = openat(rootfd, p, O_WRONLY | O_CREAT,
			    0600)) == -1)
				unit_fail(__FILE__, __LINE__, "create %s", p);
			close(fd);
			free(p);
		}
	}
	if ((fd = openat(rootfd, "a/x/skip.o", O_WRONLY | O_CREAT,
	    0600)) == -1 || close(fd) != 0 ||
	    (fd = openat(rootfd, "top", O_WRONLY | O_CREAT, 0600)) == -1 ||
	    close(fd) != 0 || symlinkat("a", rootfd, "link") != 0)
		unit_fail(__FILE__, __LINE__, "cannot make the tree");
	close(rootfd);
	return (xstrdup(tmpl));
}

/* b/y/f3 holds text, with an mtime of sec seconds. */
static void
ahead_set(int rootfd, const char *text, time_t sec)
{
	struct timespec	ts[2] = { { sec, 0 }, { sec, 0 } };
	size_t		len = strlen(text);
	int		fd;

	if ((fd = openat(rootfd, "b/y/f3", O_WRONLY | O_TRUNC)) == -1 ||
	    write(fd, text, len) != (ssize_t)len || futimens(fd, ts) != 0 ||
	    close(fd) != 0)
		unit_fail(__FILE__, __LINE__, "cannot write b/y/f3");
}

struct ahead_fp {
	char	**lines;
	size_t	  n;
};

static void
ahead_fp_cb(struct rec *r, void *arg)
{
	struct ahead_fp	*fp = arg;

	fp->lines = xreallocarray(fp->lines, fp->n + 1, sizeof *fp->lines);
	xasprintf(&fp->lines[fp->n++], "%s exists %d seq %d dirty %d racy %d"
	    " fresh %d kind %d ino %llu mtime %lld size %llu", r->path,
	    r->exists, r->seq != 0, r->dirty, r->racy, r->fresh, r->kind,
	    (unsigned long long)r->ino, (long long)r->mtime_ns,
	    (unsigned long long)r->size);
}

static int
ahead_fp_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Crawl the tree at root into a new index, twice: a first crawl (from
 * scratch), whose writes are then closed and committed, and a second,
 * as a restart's.  With budget SIZE_MAX - 1 or less, the second crawl is
 * begun ahead (scan_ahead) with that budget: *steps says how many
 * listings it kept.  write_between: a file written between the two.
 * Returns the second crawl's records, one line each, sorted, with the
 * count of entries found and of watches.
 */
static char *
ahead_crawl(char *root, size_t budget, size_t *steps,
    int write_between)
{
	static const struct scan_clock	 clock = { 0, 1, 4 * MS };
	struct daemon			 d;
	struct ahead_fp			 fp = { NULL, 0 };
	struct scan_ahead		*a;
	struct index			*ix = index_new();
	struct stamp			*st;
	struct watch			*w;
	struct scan			*s;
	char				*cause, *out, *p;
	size_t				 i, found;
	int				 rootfd;

	memset(&d, 0, sizeof d);
	d.root = root;
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY)) == -1 ||
	    (w = watch_new(&d, &cause)) == NULL)
		unit_fail(__FILE__, __LINE__, "cannot set up a crawl");
	st = stamp_new(ix, rootfd);
	s = scan_new(rootfd, root, ix, st, w, ahead_globs, &clock);
	/* b/y/f3: empty at the first crawl, "more" at the second. */
	ahead_set(rootfd, "", 1);
	scan_tree(s, "", SCAN_RECONCILE, 0, NULL);
	stamp_close(st);
	index_clear_dirty(ix);
	if (write_between)
		ahead_set(rootfd, "more", 2);
	*steps = 0;
	/*
	 * Observation went on past every ctime (2 s granularity: the clock
	 * is not the tree's device's): only what changed is stamped.
	 */
	if (budget == SIZE_MAX)
		found = scan_tree(s, "", SCAN_RECONCILE,
		    util_now_ns() + 4 * SEC, NULL);
	else {
		a = scan_ahead_new(rootfd, ahead_globs, w, budget);
		while (scan_ahead_step(a))
			(*steps)++;
		CHECK(*steps == 0 || scan_ahead_kept(a) > 0);
		found = scan_tree_ahead(s, a, util_now_ns() + 4 * SEC);
	}
	stamp_close(st);
	index_foreach(ix, ahead_fp_cb, &fp);
	qsort(fp.lines, fp.n, sizeof *fp.lines, ahead_fp_cmp);
	xasprintf(&out, "found %zu watches %zu\n", found, watch_count(w));
	for (i = 0; i < fp.n; i++) {
		xasprintf(&p, "%s%s\n", out, fp.lines[i]);
		free(out);
		free(fp.lines[i]);
		out = p;
	}
	free(fp.lines);
	scan_free(s);
	stamp_free(st);
	watch_free(w);
	index_free(ix);
	close(rootfd);
	return (out);
}

static void
ahead_rm(char *root)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", root);
	CHECK_EQ_INT(system(cmd), 0);
	free(cmd);
	free(root);
}

/*
 * Whatever the budget (none, one listing, a few, the whole tree), a
 * crawl begun ahead records what a crawl from scratch does, and watches
 * as many directories: an unchanged tree, then one with a file written.
 */
void
scan_ahead_records_as_a_crawl(void)
{
	static const size_t	 budgets[] = { 0, 1, 1500, SIZE_MAX - 1 };
	char			*root = ahead_tree(), *want, *got;
	size_t			 i, steps;
	int			 wr;

	for (wr = 0; wr < 2; wr++) {
		want = ahead_crawl(root, SIZE_MAX, &steps, wr);
		/* 30 files, 10 directories, top, link, the root: not skip.o */
		CHECK(strncmp(want, "found 42 watches 10\n", 20) == 0);
		CHECK((strstr(want, "\nb/y/f3 exists 1 seq 1 dirty 2 ") !=
		    NULL) == wr);
		CHECK(strstr(want, wr ? "mtime 2000000000 size 4\n" :
		    "mtime 1000000000 size 0\n") != NULL);
		CHECK(strstr(want, "dirty 2") == NULL || wr);
		for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
			got = ahead_crawl(root, budgets[i], &steps, wr);
			CHECK_EQ_STR(got, want);
			/* what it kept: none, 1, some, every directory */
			if (i == 2)
				CHECK(steps > 1 && steps < 10);
			else
				CHECK_EQ_UINT(steps, i == 0 ? 0 : i == 1 ?
				    1 : 10);
			free(got);
		}
		free(want);
	}
	ahead_rm(root);
}
