/*
 * Unit tests for daemon/apply.c: made-up inotify events applied to an
 * index, with no loop.  The tree is real (a directory under /tmp, so that
 * attribute changes and new directories can be looked at); the watch
 * descriptors in the events are made up and put in the wd map by hand,
 * far from the small numbers the kernel hands out to the real watches a
 * crawl of a new directory adds.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "apply.h"
#include "daemon.h"
#include "index.h"
#include "scan.h"
#include "stamp.h"
#include "unit.h"
#include "watch.h"
#include "wdmap.h"

#define WD_ROOT		1001
#define WD_SUB		1002
#define WD_COOKIE	1003
#define WD_D		1004
#define WD_DY		1005

static struct daemon	 ap_daemon;	/* what watch_new reads: the root */
static struct apply	 a;
static char		*globs[] = { "*.o", NULL };

/* A root with sub/ and sub/f, and everything an event applies to. */
static void
setup(void)
{
	static const struct scan_clock	clock = { 0, 1, 4000000 };
	char				tmpl[] = "/tmp/depcheck-unit.XXXXXX";
	char				*cause;
	int				fd;

	memset(&ap_daemon, 0, sizeof ap_daemon);
	memset(&a, 0, sizeof a);
	if (mkdtemp(tmpl) == NULL)
		unit_fail(__FILE__, __LINE__, "mkdtemp failed");
	ap_daemon.root = xstrdup(tmpl);
	a.root = ap_daemon.root;
	if ((a.rootfd = open(a.root, O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdirat(a.rootfd, "sub", 0700) != 0 ||
	    (fd = openat(a.rootfd, "sub/f", O_WRONLY | O_CREAT, 0600)) == -1)
		unit_fail(__FILE__, __LINE__, "cannot make the tree");
	close(fd);
	if ((a.watch = watch_new(&ap_daemon, &cause)) == NULL)
		unit_fail(__FILE__, __LINE__, "watch_new: %s", cause);
	a.index = index_new();
	a.stamp = stamp_new(a.index, a.rootfd);
	a.wdmap = watch_map(a.watch);
	a.ignore = globs;
	a.scan = scan_new(a.rootfd, a.root, a.index, a.stamp, a.watch,
	    a.ignore, &clock);
	wdmap_put(a.wdmap, WD_ROOT, "", 0);
	wdmap_put(a.wdmap, WD_SUB, "sub", 0);
	wdmap_put(a.wdmap, WD_COOKIE, "", 1);
}

static void
teardown(void)
{
	char	*cmd;

	stamp_close(a.stamp);
	scan_free(a.scan);
	stamp_free(a.stamp);
	watch_free(a.watch);
	index_free(a.index);
	close(a.rootfd);
	xasprintf(&cmd, "rm -rf '%s'", ap_daemon.root);
	CHECK_EQ_INT(system(cmd), 0);
	free(cmd);
	free(ap_daemon.root);
}

/*
 * Apply one event as it comes in a buffer read from the descriptor (the
 * name NUL-padded), returning apply_event's flags.
 */
static int
ev(int wd, uint32_t mask, const char *name)
{
	char			 buf[sizeof(struct inotify_event) + 64]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct inotify_event	*e = (struct inotify_event *)buf;
	size_t			 len = name != NULL ? strlen(name) + 1 : 0;

	memset(buf, 0, sizeof buf);
	e->wd = wd;
	e->mask = mask;
	e->len = (uint32_t)((len + 15) / 16 * 16);
	if (name != NULL)
		memcpy(e->name, name, len);
	return (apply_event(&a, e));
}

/* A record as a crawl left it: existing, at seq, with the disk's facts. */
static struct rec *
known(const char *relpath, uint64_t seq)
{
	struct rec	*r = index_get(a.index, relpath);
	struct stat	 st;

	if (fstatat(a.rootfd, relpath, &st, AT_SYMLINK_NOFOLLOW) == 0)
		index_set_facts(r, &st);
	r->exists = 1;
	r->seq = seq;
	index_set_seq(a.index, seq + 1, seq + 1000);
	return (r);
}

void
apply_create_writes_parent_then_file(void)
{
	struct rec	*dir, *f;

	setup();
	CHECK_EQ_INT(ev(WD_SUB, IN_CREATE, "f"), 0);
	dir = index_find(a.index, "sub");
	f = index_find(a.index, "sub/f");
	CHECK(dir != NULL && f != NULL);
	CHECK(dir->exists && f->exists);
	CHECK(dir->seq != 0 && dir->seq < f->seq);
	CHECK_EQ_INT(f->dirty, INDEX_WRITTEN);
	teardown();
}

void
apply_modify_is_write(void)
{
	struct rec	*f;

	setup();
	f = known("sub/f", 5);
	CHECK_EQ_INT(ev(WD_SUB, IN_MODIFY, "f"), 0);
	CHECK(f->seq > 5);
	CHECK(index_find(a.index, "sub") == NULL);	/* not its parent */
	teardown();
}

void
apply_delete_marks_missing(void)
{
	struct rec	*dir, *f;

	setup();
	f = known("sub/f", 5);
	dir = known("sub", 6);
	CHECK_EQ_INT(ev(WD_SUB, IN_DELETE, "f"), 0);
	CHECK(!f->exists);
	CHECK(f->seq > 6);
	CHECK(dir->seq > f->seq);
	teardown();
}

void
apply_moved_dir_takes_subtree(void)
{
	struct rec	*d, *x, *z, *other;

	setup();
	d = known("sub/d", 2);
	x = known("sub/d/x", 3);
	z = known("sub/d/y/z", 4);
	other = known("sub/dx", 5);
	wdmap_put(a.wdmap, WD_D, "sub/d", 0);
	wdmap_put(a.wdmap, WD_DY, "sub/d/y", 0);
	CHECK_EQ_INT(ev(WD_SUB, IN_MOVED_FROM | IN_ISDIR, "d"), APPLY_FREED);
	CHECK(!d->exists && !x->exists && !z->exists);
	CHECK(x->seq > 5 && z->seq > 5);
	CHECK(other->exists && other->seq == 5);
	CHECK(wdmap_find(a.wdmap, WD_D) == NULL);
	CHECK(wdmap_find(a.wdmap, WD_DY) == NULL);
	CHECK(wdmap_find(a.wdmap, WD_SUB) != NULL);
	teardown();
}

void
apply_new_dir_is_crawled(void)
{
	struct rec	*g;
	int		 fd;

	setup();
	if (mkdirat(a.rootfd, "sub/nd", 0700) != 0 ||
	    (fd = openat(a.rootfd, "sub/nd/g", O_WRONLY | O_CREAT,
	    0600)) == -1)
		unit_fail(__FILE__, __LINE__, "cannot make sub/nd/g");
	close(fd);
	CHECK_EQ_INT(ev(WD_SUB, IN_CREATE | IN_ISDIR, "nd"), 0);
	g = index_find(a.index, "sub/nd/g");
	CHECK(g != NULL && g->exists && g->seq != 0);
	CHECK(index_find(a.index, "sub/nd")->exists);
	CHECK(wdmap_has_path(a.wdmap, "sub/nd"));	/* a real watch */
	/* The crawl's stat gave the facts: the commit need not stat. */
	CHECK(g->fresh);
	teardown();
}

void
apply_attrib_write_only_if_mtime_moved(void)
{
	struct timespec	 ts[2] = { { 0, UTIME_OMIT }, { 1000, 0 } };
	struct rec	*f;

	setup();
	f = known("sub/f", 5);
	/* Nothing changed (chmod to the same mode, say). */
	CHECK_EQ_INT(ev(WD_SUB, IN_ATTRIB, "f"), 0);
	CHECK_EQ_UINT(f->seq, 5);
	CHECK_EQ_INT(f->dirty, 0);
	/* chmod: the ctime moved, so the facts differ, but no write. */
	usleep(20000);
	if (fchmodat(a.rootfd, "sub/f", 0644, 0) != 0)
		unit_fail(__FILE__, __LINE__, "chmod failed");
	CHECK_EQ_INT(ev(WD_SUB, IN_ATTRIB, "f"), 0);
	CHECK_EQ_UINT(f->seq, 5);
	CHECK_EQ_INT(f->dirty, INDEX_TOUCHED);
	/* touch -d: the mtime moved back; a write. */
	if (utimensat(a.rootfd, "sub/f", ts, 0) != 0)
		unit_fail(__FILE__, __LINE__, "utimensat failed");
	CHECK_EQ_INT(ev(WD_SUB, IN_ATTRIB, "f"), 0);
	CHECK(f->seq > 5);
	CHECK_EQ_INT(f->dirty, INDEX_WRITTEN);
	teardown();
}

void
apply_ignored_names_not_recorded(void)
{
	setup();
	CHECK_EQ_INT(ev(WD_ROOT, IN_CREATE | IN_ISDIR, ".depcheck"), 0);
	CHECK_EQ_INT(ev(WD_SUB, IN_CLOSE_WRITE, "f.o"), 0);
	CHECK(index_find(a.index, ".depcheck") == NULL);
	CHECK(index_find(a.index, "sub/f.o") == NULL);
	CHECK(index_find(a.index, "sub") == NULL);
	teardown();
}

void
apply_overflow_and_cookie_reported(void)
{
	setup();
	CHECK_EQ_INT(ev(-1, IN_Q_OVERFLOW, NULL), APPLY_OVERFLOW);
	CHECK_EQ_INT(ev(WD_COOKIE, IN_CREATE, "17"), APPLY_COOKIE);
	CHECK_EQ_UINT(index_count(a.index), 0);
	/* The kernel dropped the cookie directory's watch: said, forgot. */
	CHECK_EQ_INT(ev(WD_COOKIE, IN_IGNORED, NULL), 0);
	CHECK(wdmap_find(a.wdmap, WD_COOKIE) == NULL);
	/* An event of a watch removed since: nothing. */
	CHECK_EQ_INT(ev(4242, IN_CREATE, "x"), 0);
	CHECK_EQ_UINT(index_count(a.index), 0);
	teardown();
}

void
apply_lost_watch_reported(void)
{
	setup();
	/* sub is still there, and no other watch covers it: lost. */
	CHECK_EQ_INT(ev(WD_SUB, IN_IGNORED, NULL), APPLY_LOST | APPLY_FREED);
	CHECK(wdmap_find(a.wdmap, WD_SUB) == NULL);
	teardown();
}

void
apply_deleted_dir_watch_not_lost(void)
{
	setup();
	/* The kernel said it went first: what is there now is new. */
	CHECK_EQ_INT(ev(WD_SUB, IN_DELETE_SELF, NULL), 0);
	CHECK_EQ_INT(ev(WD_SUB, IN_IGNORED, NULL), APPLY_FREED);
	/* Not there at all. */
	wdmap_put(a.wdmap, WD_D, "nothing", 0);
	CHECK_EQ_INT(ev(WD_D, IN_IGNORED, NULL), APPLY_FREED);
	teardown();
}

void
apply_root_gone_stops(void)
{
	setup();
	CHECK_EQ_INT(ev(WD_SUB, IN_MOVE_SELF, NULL), 0);
	CHECK_EQ_INT(ev(WD_ROOT, IN_DELETE_SELF, NULL), APPLY_STOP);
	CHECK_EQ_INT(ev(WD_ROOT, IN_MOVE_SELF, NULL), APPLY_STOP);
	teardown();
}

/*
 * Facts a crawl took (fresh: the commit does not stat again, batch.c) are
 * stale once an event says the file changed: a write, or a chmod.
 */
void
apply_event_makes_crawl_facts_stale(void)
{
	struct rec	*f;

	setup();
	f = known("sub/f", 5);
	f->fresh = 1;
	usleep(20000);
	if (fchmodat(a.rootfd, "sub/f", 0644, 0) != 0)
		unit_fail(__FILE__, __LINE__, "chmod failed");
	CHECK_EQ_INT(ev(WD_SUB, IN_ATTRIB, "f"), 0);
	CHECK_EQ_INT(f->dirty, INDEX_TOUCHED);
	CHECK(!f->fresh);
	f->fresh = 1;
	CHECK_EQ_INT(ev(WD_SUB, IN_MODIFY, "f"), 0);
	CHECK_EQ_INT(f->dirty, INDEX_WRITTEN);
	CHECK(!f->fresh);
	teardown();
}
