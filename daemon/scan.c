/*
 * Crawl and reconcile (see scan.h).  Called from main.c at start, from
 * apply.c for new directories, and from rescan.c after an overflow, a
 * lost watch or to retry unwatched directories.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "ignore.h"
#include "index.h"
#include "lister.h"
#include "log.h"
#include "notify.h"
#include "scan.h"
#include "stamp.h"
#include "util.h"
#include "watch.h"

/* Timestamp granularity assumed off the root's file system (FAT: 2 s). */
#define SCAN_GRAN_MAX		2000000000LL
/* Listings a crawl asks its threads for ahead of recording them. */
#define SCAN_AHEAD		4
/* Entries of a listing whose records are fetched ahead (index_prefetch). */
#define SCAN_PREFETCH		((size_t)4)

struct scan {
	int		  rootfd;
	const char	 *root;
	struct index	 *index;
	struct stamp	 *stamp;
	struct watch	 *watch;
	char *const	 *ignore;
	struct scan_clock clock;
	int		  tty;		/* show progress on stderr */
	int		  notify;	/* and to the service manager */
	size_t		  crawled;
	scan_moved_fn	  moved;
	void		 *moved_arg;
};

/*
 * A directory still to list, with the device its parent's listing (or
 * scan_tree) found it on: scan_dir need not stat it again.
 */
struct crawl_dir {
	char		*relpath;
	dev_t		 dev;
};

/*
 * One crawl: how many entries it found changed (or suspect) and in all,
 * and the directories still to list.  What changed is stamped as it is
 * found (scan_found), but for a new directory's own record, held until a
 * second entry shows the directory was not found empty (see scan_tree).
 */
struct crawl {
	struct scan	 *s;
	enum scan_mode	  mode;
	int64_t		  observed_ns;	/* see scan_tree */
	struct index	 *force;
	int64_t		  not_before;	/* see scan_tree */
	struct rec	 *held;
	size_t		  nchanged;
	size_t		  nfound;
	struct crawl_dir *stack;
	size_t		  nstack;
	size_t		  stack_cap;
};

struct scan *
scan_new(int rootfd, const char *root, struct index *ix, struct stamp *st,
    struct watch *w, char *const *ignore, const struct scan_clock *clock)
{
	struct scan	*s;

	s = xcalloc(1, sizeof *s);
	s->rootfd = rootfd;
	s->root = root;
	s->index = ix;
	s->stamp = st;
	s->watch = w;
	s->ignore = ignore;
	s->clock = *clock;
	return (s);
}

void
scan_free(struct scan *s)
{
	free(s);
}

void
scan_set_moved(struct scan *s, scan_moved_fn fn, void *arg)
{
	s->moved = fn;
	s->moved_arg = arg;
}

void
scan_progress(struct scan *s, int tty, int notify)
{
	s->tty = tty;
	s->notify = notify;
}

size_t
scan_crawled(struct scan *s)
{
	return (s->crawled);
}

static void
scan_push_dir(struct crawl *s, const char *relpath, dev_t dev)
{
	if (s->nstack == s->stack_cap) {
		s->stack_cap = s->stack_cap == 0 ? 64 : s->stack_cap * 2;
		s->stack = xreallocarray(s->stack, s->stack_cap,
		    sizeof *s->stack);
	}
	s->stack[s->nstack].relpath = xstrdup(relpath);
	s->stack[s->nstack++].dev = dev;
}

/*
 * Stamp what a crawl found changed (stamp.c orders it when the drain
 * ends).  crawled is 0 only for a record whose write an event reported,
 * so its place in the order is known (a new directory found empty by its
 * own crawl).  The crawl's stat gave the facts (scan_add), the ctime
 * with them; it was taken after the watch was added, so a later write
 * is an event, which clears fresh (stamp_write): until then the commit
 * need not stat again (batch.c).
 */
static void
scan_found(struct crawl *s, struct rec *r, int crawled)
{
	r->fresh = 1;
	stamp_found(s->s->stamp, r, crawled, s->not_before);
}

/*
 * Record a found entry (relpath, hashed as index.c does), and stamp it
 * if it changed.  What is stamped though its facts match (racily clean,
 * or below a lost watch) is marked: it may well be unchanged, and exec
 * presents it before what surely changed in its ctime group (publish.c).
 * What did not change is not stamped: a restart on an unchanged tree
 * stamps nothing.
 */
static void
scan_add(struct crawl *s, const char *relpath, uint32_t hash,
    const struct stat *st)
{
	struct scan	*sc = s->s;
	struct rec	*r;
	int		 changed, suspect;

	s->nfound++;
	if ((sc->tty || sc->notify) && ++sc->crawled % 10000 == 0) {
		if (sc->tty)
			fprintf(stderr, "\rdepcheckd: indexed %zu entries",
			    sc->crawled);
		notify_send("STATUS=crawling '%s': %zu entries indexed\n"
		    "EXTEND_TIMEOUT_USEC=%d", log_esc(sc->root),
		    sc->crawled, NOTIFY_EXTEND_USEC);
	}
	r = index_get_hashed(sc->index, relpath, hash);
	if (s->mode == SCAN_RECONCILE)
		r->seen = 1;	/* not gone (scan_gone_cb) */
	changed = s->mode == SCAN_NEW || !r->exists || r->seq == 0 ||
	    index_facts_differ(r, st);
	suspect = !changed && (util_ts_ns(&st->st_ctim) >=
	    scan_floor(&sc->clock, st->st_dev, s->observed_ns) ||
	    (s->force != NULL && index_covers(s->force, r->path)));
	/* The facts now; what changed is stamped below. */
	if (sc->moved != NULL && (r->ino != 0 || index_dev(r) != 0) &&
	    (r->ino != st->st_ino || index_dev(r) != st->st_dev))
		sc->moved(sc->moved_arg, r, st);
	index_set_facts(r, st);
	if (!changed && !suspect)
		return;
	r->racy = suspect != 0;
	if (s->nchanged++ == 0 && s->mode == SCAN_NEW) {
		s->held = r;	/* the new directory itself */
		return;
	}
	if (s->held != NULL) {
		scan_found(s, s->held, 1);
		s->held = NULL;
	}
	scan_found(s, r, 1);
}

/*
 * A directory that exists but cannot be reached by its path (deeper than
 * PATH_MAX: ENAMETOOLONG): no watch is possible.  watch_add_dir fails the
 * same way and counts it unwatched, saying so once.  Gone (ENOENT): its
 * event says so.
 */
static void
scan_unreachable(struct scan *s, const char *relpath)
{
	char	*cause;

	if (errno != ENOENT && errno != ENOTDIR &&
	    watch_add_dir(s->watch, relpath, &cause) != 0)
		free(cause);
}

/*
 * Add the watch before listing the directory: a file created in between
 * is then seen by the listing, reported by inotify, or both, but never
 * missed (tests/integ/t2004-mkdir-p-race.sh).  relpath was a directory
 * on dev when its parent was listed; it is not stat'd again.  Replaced
 * since by a file or a symlink, the watch fails (IN_ONLYDIR,
 * IN_DONT_FOLLOW) as if it were gone, and its parent's event says what
 * is there now; deeper than PATH_MAX, the watch fails and counts it
 * unwatched (see scan_unreachable).  0: list it.
 */
static int
scan_watch(struct crawl *s, const char *relpath, dev_t dev)
{
	struct scan	*sc = s->s;
	char		*cause;

	if (watch_check_remote(sc->watch, relpath, dev))
		return (-1);
	if (watch_add_dir(sc->watch, relpath, &cause) != 0) {
		log_debug("%s", cause);		/* watch.c said it once */
		free(cause);
		return (-1);
	}
	return (0);
}

/* Record what a directory's listing found; list its directories next. */
static void
scan_listed(struct crawl *s, struct listing *l)
{
	const struct stat	*st;
	const char		*child;
	size_t			 i;

	if (l->error != 0) {
		if (l->error != ENOENT && l->error != ENOTDIR)
			log_warn("cannot list '%s': %s", log_esc(l->relpath),
			    strerror(l->error));
		return;
	}
	for (i = 0; i < l->n; i++) {
		/* The lookups a few entries ahead: slot, then record. */
		if (i + 2 * SCAN_PREFETCH < l->n)
			index_prefetch(s->s->index,
			    l->ents[i + 2 * SCAN_PREFETCH].hash, 0);
		if (i + SCAN_PREFETCH < l->n)
			index_prefetch(s->s->index,
			    l->ents[i + SCAN_PREFETCH].hash, 1);
		st = &l->ents[i].st;
		child = l->paths + l->ents[i].path;
		scan_add(s, child, l->ents[i].hash, st);
		/* Symlinked directories are recorded, never followed. */
		if (S_ISDIR(st->st_mode))
			scan_push_dir(s, child, st->st_dev);
	}
}

/* List the directories still to list, here. */
static void
scan_dirs(struct crawl *s)
{
	struct crawl_dir	dir;
	struct listing		l;

	while (s->nstack > 0) {
		dir = s->stack[--s->nstack];
		if (scan_watch(s, dir.relpath, dir.dev) != 0) {
			free(dir.relpath);
			continue;
		}
		memset(&l, 0, sizeof l);
		l.relpath = dir.relpath;
		lister_list(s->s->rootfd, s->s->ignore, &l);
		scan_listed(s, &l);
		listing_fini(&l);
	}
}

/*
 * List them in threads of their own (lister.c), a few directories ahead
 * of what this thread records: each watched before it is listed.
 */
static void
scan_dirs_ahead(struct crawl *s)
{
	struct lister		*ls;
	struct listing		*l;
	struct crawl_dir	 dir;
	size_t			 asked = 0;

	ls = lister_new(s->s->rootfd, s->s->ignore);
	while (s->nstack > 0 || asked > 0) {
		while (s->nstack > 0 && asked < SCAN_AHEAD) {
			dir = s->stack[--s->nstack];
			if (scan_watch(s, dir.relpath, dir.dev) != 0) {
				free(dir.relpath);
				continue;
			}
			lister_submit(ls, dir.relpath);
			asked++;
		}
		if (asked > 0) {
			l = lister_take(ls);
			asked--;
			scan_listed(s, l);
			listing_fini(l);
			free(l);
		}
	}
	lister_free(ls);
}

struct scan_gone {
	struct scan	*s;
	const char	*prefix;
	size_t		 count;
};

static void
scan_gone_cb(struct rec *r, void *arg)
{
	struct scan_gone	*g = arg;

	if (r->seen) {
		r->seen = 0;
		return;
	}
	if (!r->exists || !util_under(r->path, g->prefix) ||
	    watch_is_unwatched(g->s->watch, r->path))
		return;
	stamp_write(g->s->stamp, r, 0, 1, 0);
	g->count++;
}

size_t
scan_tree(struct scan *sc, const char *relpath, enum scan_mode mode,
    int64_t observed_ns, struct index *force)
{
	struct crawl	 s;
	struct scan_gone g;
	struct stat	 st;

	memset(&s, 0, sizeof s);
	s.s = sc;
	s.mode = mode;
	s.observed_ns = observed_ns;
	s.force = force;
	if (fstatat(sc->rootfd, *relpath ? relpath : ".", &st,
	    AT_SYMLINK_NOFOLLOW) != 0) {
		scan_unreachable(sc, relpath);
		return (0);
	}
	if (!S_ISDIR(st.st_mode))
		return (0);
	/*
	 * What a new or moved-in directory holds was written, for this
	 * root, when the directory arrived: no earlier than its own ctime
	 * (rename sets it), though the files' ctimes may be days older.  By
	 * their own ctimes a restamp would put them before a target written
	 * just before the mv, in the same drain (t2002).
	 */
	if (mode == SCAN_NEW)
		s.not_before = util_ts_ns(&st.st_ctim);
	scan_add(&s, relpath, index_path_hash(relpath), &st);
	scan_push_dir(&s, relpath, st.st_dev);
	/*
	 * The root's crawls (start, overflow) list in threads of their own;
	 * a new directory's, mostly a few entries, here.
	 */
	if (*relpath == '\0')
		scan_dirs_ahead(&s);
	else
		scan_dirs(&s);

	/*
	 * A directory whose creation was an event (SCAN_NEW) and in which
	 * the crawl found nothing is as well ordered as any event: do not let
	 * it tie the whole drain by ctime (mkdir -p, all the time, in
	 * kbuild).  If the crawl found entries in it, made before its watch,
	 * its place is unknown again (scan_add stamped it crawled, first).
	 */
	if (s.held != NULL)
		scan_found(&s, s.held, 0);

	/* Records below relpath that were not found are gone. */
	if (mode == SCAN_RECONCILE) {
		memset(&g, 0, sizeof g);
		g.s = sc;
		g.prefix = relpath;
		index_foreach(sc->index, scan_gone_cb, &g);
		log_info("reconciled '%s': %zu entries, %zu changed, %zu gone",
		    log_esc(relpath), s.nfound, s.nchanged, g.count);
	}
	free(s.stack);
	return (s.nfound);
}

/* The timestamp granularity of device dev. */
static int64_t
scan_gran(const struct scan_clock *c, dev_t dev)
{
	return (dev == c->root_dev ? c->root_gran_ns : SCAN_GRAN_MAX);
}

int64_t
scan_floor(const struct scan_clock *c, dev_t dev, int64_t t_ns)
{
	int64_t	gran = scan_gran(c, dev);
	int64_t	t = t_ns - c->tick_ns;

	if (t < 0)
		return (0);
	return (t / gran * gran);
}

struct scan_settle {
	const struct scan_clock	*clock;
	int64_t			 until;
};

/*
 * The first t at which scan_floor(t) > ctime: the next multiple of the
 * granularity above ctime, plus a tick.
 */
static void
scan_settle_cb(struct rec *r, void *arg)
{
	struct scan_settle	*ss = arg;
	int64_t			 gran, t;

	if (!r->exists || r->ctime_ns < 0)
		return;
	gran = scan_gran(ss->clock, (dev_t)index_dev(r));
	t = (r->ctime_ns / gran + 1) * gran + ss->clock->tick_ns;
	if (t > ss->until)
		ss->until = t;
}

int64_t
scan_settled_at(struct scan *sc)
{
	struct scan_settle	ss;

	ss.clock = &sc->clock;
	ss.until = 0;
	index_foreach(sc->index, scan_settle_cb, &ss);
	return (ss.until);
}
