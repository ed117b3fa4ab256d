/*
 * Crawling: watch-then-scan a directory tree, and reconcile what is found
 * with the index (DESIGN section 3, "Unobserved time").  Called at start,
 * for new or moved-in directories, and for rescans (rescan.c).
 */
#ifndef SCAN_H
#define SCAN_H

#include <sys/types.h>

#include <stdint.h>

struct index;
struct scan;
struct stamp;
struct watch;

/* What scan_floor() knows of the clocks (probed at start by main.c). */
struct scan_clock {
	dev_t		 root_dev;
	int64_t		 root_gran_ns;	/* the root's timestamp granularity */
	int64_t		 tick_ns;	/* the coarse clock's tick (ctimes) */
};

enum scan_mode {
	SCAN_NEW,		/* everything found is a write (mkdir, mv in) */
	SCAN_RECONCILE,		/* only what differs from the record */
};

/*
 * A crawler of the tree below the directory rootfd (named root, for
 * messages).  It records into index through stamp, asks watch to watch
 * every directory it lists, and skips what the globs ignore (see
 * ignore.h).  All borrowed; the clock is copied.
 */
struct scan	*scan_new(int, const char *, struct index *, struct stamp *,
		     struct watch *, char *const *, const struct scan_clock *);
void		 scan_free(struct scan *);
/*
 * Called when a crawl finds a record's file on another inode than the
 * one it recorded, before the record takes the new facts: the shared
 * image must drop the old inode's entry (publish_moved), which a file
 * that reuses the inode number, in the tree or outside it, would
 * otherwise match.  (A write seen as an event is refreshed by the
 * commit's stat instead, batch.c.)
 */
typedef void	(*scan_moved_fn)(void *, const struct rec *,
		     const struct stat *);
void		 scan_set_moved(struct scan *, scan_moved_fn, void *);
/*
 * Show crawl progress every 10000 entries: on stderr (tty) and to the
 * service manager (notify).
 */
void		 scan_progress(struct scan *, int, int);
/* Entries counted while progress was shown. */
size_t		 scan_crawled(struct scan *);
/*
 * Watch and crawl relpath (a directory; "" is the root) and everything
 * below it.  Changed entries are stamped as writes (stamp.c orders them,
 * with every other write of this drain, by ctime when it ends).  In
 * SCAN_RECONCILE mode a file that may have been rewritten after
 * observation stopped at observed_ns (scan_floor) counts as changed even
 * if its stat facts match, as does everything in or below a directory of
 * the set force (NULL for none: nobody watched there), and records that
 * are gone are marked missing.  Returns the number of entries found.
 */
size_t		 scan_tree(struct scan *, const char *, enum scan_mode,
		     int64_t, struct index *);
/*
 * The earliest ctime a file on device dev can have if it was written at
 * or after t_ns: t_ns less one tick of the kernel's coarse clock (which
 * stamps ctimes), rounded down to the file system's timestamp granularity
 * (probed on the root's; 2 s assumed elsewhere).  A file whose ctime is
 * not older than scan_floor(observation stopped) is racily clean.
 */
int64_t		 scan_floor(const struct scan_clock *, dev_t, int64_t);
/*
 * The earliest time at which observation may stop with every recorded
 * file's ctime older than scan_floor(): from then on, a restart keeps
 * the seq of every file whose facts still match (main.c, daemon_settle).
 */
int64_t		 scan_settled_at(struct scan *);

#endif
