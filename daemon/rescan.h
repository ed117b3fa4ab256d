/*
 * Rescans: who owes the tree a look when events could not tell.  After an
 * inotify queue overflow (with back-off when they repeat), after a lost
 * watch, and now and then for directories that could not be watched.
 * Owns the time up to which every write was seen (observed_ns) and the
 * counters `depcheck status` shows.  batch.c reports what its drain read
 * and ends the batch; scan.c does the crawling.
 */
#ifndef RESCAN_H
#define RESCAN_H

#include <stdint.h>

#include <uv.h>

struct rescan;
struct scan;
struct sync;
struct watch;

/*
 * Rescans of root (named in messages) by scan, retrying what watch could
 * not watch, telling sync when a rescan covered everything.  Every write
 * before observed_ns was seen; it moves at the end of each drain, and
 * every second while the queue stays empty.  All borrowed.
 */
struct rescan	*rescan_new(uv_loop_t *, const char *, struct scan *,
		     struct watch *, struct sync *, int64_t);
/* Close the timers (the memory goes in their close callbacks). */
void		 rescan_free(struct rescan *);
/*
 * After a rescan that a timer started (not a drain), call fn(arg): it
 * drains the queue and ends the batch (batch_end).  A callback, since
 * batch.c calls rescan.c.
 */
void		 rescan_set_end(struct rescan *, void (*)(void *), void *);

/* The drain read IN_Q_OVERFLOW. */
void		 rescan_overflowed(struct rescan *);
/* The drain read that a watch was lost on a directory still there. */
void		 rescan_lost(struct rescan *);
/* A watch was freed: retry the unwatched directories soon. */
void		 rescan_freed(struct rescan *);
/*
 * The queue was read empty: rescan for what was reported (an overflow
 * first, maybe deferred by the back-off).  Returns 1 if something was
 * reported: then the queue must be read again.
 */
int		 rescan_run(struct rescan *);
/*
 * The drain read the queue empty at t_ns (read started then): unless a
 * rescan is owed, every write before it was seen.
 */
void		 rescan_drained(struct rescan *, int64_t);

/* Is a rescan owed (deferred by the back-off)?  Syncs wait meanwhile. */
int		 rescan_pending(struct rescan *);
/* Every write before this was seen (saved with each commit). */
int64_t		 rescan_observed(struct rescan *);
uint64_t	 rescan_overflows(struct rescan *);
uint64_t	 rescan_count(struct rescan *);
/* When the last rescan started (wall clock), 0 for never. */
int64_t		 rescan_last_ns(struct rescan *);

/*
 * The back-off rule on its own: an overflow at now_ms, the last rescan
 * having ended at end_ms (0: none yet), the current back-off *backoff_ms
 * (0: none).  Returns 0 to rescan at once (the back-off is reset), else
 * how many ms to wait (and *backoff_ms is that).
 */
unsigned	 rescan_backoff(unsigned *, uint64_t, uint64_t);

#endif
