/*
 * Unit tests for daemon/lister.c: a directory's listing, here and in the
 * lister's threads.  Every entry but "." and "..", stat'd, named by its
 * relpath; ignored names left out; a directory that cannot be opened
 * says why; every listing asked of the threads comes back once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "index.h"
#include "lister.h"
#include "unit.h"

#define LS_DIRS		40
#define LS_FILES	25

static char	ls_root[64];

/* A tree of LS_DIRS directories of LS_FILES files, and an ignored one. */
static int
ls_setup(void)
{
	char	path[128];
	int	d, f, fd, rootfd;

	snprintf(ls_root, sizeof ls_root, "/tmp/depcheck-lister.XXXXXX");
	if (mkdtemp(ls_root) == NULL)
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	for (d = 0; d < LS_DIRS; d++) {
		snprintf(path, sizeof path, "%s/d%d", ls_root, d);
		CHECK_EQ_INT(mkdir(path, 0755), 0);
		for (f = 0; f < LS_FILES; f++) {
			snprintf(path, sizeof path, "%s/d%d/f%d", ls_root, d,
			    f);
			fd = open(path, O_WRONLY | O_CREAT, 0644);
			CHECK(fd != -1);
			close(fd);
		}
	}
	snprintf(path, sizeof path, "%s/d0/skip.o", ls_root);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(fd != -1);
	close(fd);
	rootfd = open(ls_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(rootfd != -1);
	return (rootfd);
}

static void
ls_teardown(int rootfd)
{
	char	cmd[128];

	close(rootfd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", ls_root);
	CHECK_EQ_INT(system(cmd), 0);
}

/* Is l the listing of directory d: its LS_FILES files, all regular? */
static int
ls_complete(const struct listing *l, int d)
{
	char	want[32];
	int	f, seen[LS_FILES];
	size_t	i;

	memset(seen, 0, sizeof seen);
	if (l->error != 0 || l->n != LS_FILES)
		return (0);
	for (i = 0; i < l->n; i++) {
		if (!S_ISREG(l->ents[i].st.st_mode) ||
		    sscanf(l->paths + l->ents[i].path, "d%*d/f%d", &f) != 1 ||
		    f < 0 || f >= LS_FILES || seen[f]++)
			return (0);
		snprintf(want, sizeof want, "d%d/f%d", d, f);
		if (strcmp(l->paths + l->ents[i].path, want) != 0 ||
		    l->ents[i].hash != index_path_hash(want))
			return (0);
	}
	return (1);
}

void
lister_lists_here(void)
{
	static char *const globs[] = { "*.o", NULL };
	struct listing	 l;
	int		 rootfd = ls_setup();

	memset(&l, 0, sizeof l);
	l.relpath = xstrdup("d0");
	lister_list(rootfd, globs, &l);
	CHECK(ls_complete(&l, 0));	/* skip.o ignored */
	listing_fini(&l);

	memset(&l, 0, sizeof l);
	l.relpath = xstrdup("");
	lister_list(rootfd, globs, &l);
	CHECK_EQ_INT(l.error, 0);
	CHECK_EQ_UINT(l.n, LS_DIRS);
	CHECK(S_ISDIR(l.ents[0].st.st_mode));
	listing_fini(&l);

	memset(&l, 0, sizeof l);
	l.relpath = xstrdup("nowhere");
	lister_list(rootfd, globs, &l);
	CHECK_EQ_INT(l.error, ENOENT);
	CHECK_EQ_UINT(l.n, 0);
	listing_fini(&l);
	ls_teardown(rootfd);
}

void
lister_threads_return_each_once(void)
{
	static char *const globs[] = { "*.o", NULL };
	struct lister	*ls;
	struct listing	*l;
	char		 name[16];
	int		 rootfd = ls_setup(), d, k, got[LS_DIRS], bad = 0;
	int		 round;

	CHECK(lister_take(ls = lister_new(rootfd, globs)) == NULL);
	for (round = 0; round < 3; round++) {
		memset(got, 0, sizeof got);
		for (d = 0; d < LS_DIRS; d++) {
			snprintf(name, sizeof name, "d%d", d);
			lister_submit(ls, xstrdup(name));
		}
		lister_submit(ls, xstrdup("nowhere"));
		for (k = 0; k <= LS_DIRS; k++) {
			l = lister_take(ls);
			CHECK(l != NULL);
			if (strcmp(l->relpath, "nowhere") == 0) {
				if (l->error != ENOENT)
					bad++;
			} else if (sscanf(l->relpath, "d%d", &d) != 1 ||
			    d < 0 || d >= LS_DIRS || got[d]++ ||
			    !ls_complete(l, d))
				bad++;
			listing_fini(l);
			free(l);
		}
		CHECK_EQ_INT(bad, 0);
		CHECK(lister_take(ls) == NULL);
	}
	/* Freed with listings still asked for: nothing leaks (ASan). */
	lister_submit(ls, xstrdup("d1"));
	lister_submit(ls, xstrdup("d2"));
	lister_free(ls);
	ls_teardown(rootfd);
}
