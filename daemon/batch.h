/*
 * The batch boundary: the one way a batch of writes ends.  batch_end()
 * drains the inotify queue (applying each event, rescanning when events
 * were lost), commits what changed in one transaction, then hands the
 * changed records to the subscribers: first the data (the exec image),
 * then the answers (sync waiters), never before the commit.  Called when
 * the queue is readable (watch.c), after a timer's rescan (rescan.c), at
 * start and at stop (main.c).
 */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct batch;
struct batch_sub;
struct daemon;
struct rec;

/*
 * After a batch ended: the records it changed (borrowed for the call),
 * or cause, borrowed, if the commit failed (they stay changed: the next
 * batch retries them) or an earlier one did and nothing was retried.
 */
typedef void	(*batch_done_fn)(void *, struct rec *const *, size_t,
		    const char *);
/* Before the commit: r is about to take the stat facts st. */
typedef void	(*batch_refresh_fn)(void *, const struct rec *,
		    const struct stat *);

enum batch_when {
	BATCH_COMMITTED,	/* after every commit: data (the image) */
	BATCH_SETTLED,		/* after the above, and only once no rescan
				   is owed, or the commit failed: answers */
};

/*
 * The batch of the daemon d: its index, database, stamp, watch, scan and
 * rescan.  It writes d->db_failed and d->db_cause, and nothing else does.
 */
struct batch	*batch_new(struct daemon *);
void		 batch_free(struct batch *);
/*
 * Call done(arg) when a batch ends, as when says, and refresh(arg) (may
 * be NULL) before each changed record takes its new stat facts.  Within
 * each enum batch_when, in the order of subscription.
 */
struct batch_sub *batch_subscribe(struct batch *, enum batch_when,
		     batch_refresh_fn, batch_done_fn, void *);
void		 batch_unsubscribe(struct batch *, struct batch_sub *);
/* Drain the queue, commit, tell the subscribers (see above). */
void		 batch_end(struct batch *);
/*
 * The last batch, at a clean stop: batch_end(), repeated until the clock
 * has moved past the tick of the last writes (a few ms; up to a second on
 * a file system with 1-second timestamps; never more than 3 s), then the
 * time up to which every write was seen is committed (see batch.c).
 */
void		 batch_stop(struct batch *);
/*
 * The queue is readable (watch_start): drain it; the commit may wait a
 * few milliseconds for the next drains' (group commit, batch.c).
 */
void		 batch_events_cb(void *);
/* Commit what waits for a group commit, if anything (before a reply). */
void		 batch_flush(struct batch *);
/*
 * The high-water seq of what is committed: every seq up to it is in the
 * database, and none after it is (records waiting for the group commit
 * hold seqs above it).
 */
uint64_t	 batch_high(struct batch *);
/* Do records wait for the group commit? (0 for a NULL batch.) */
int		 batch_waiting(struct batch *);
/*
 * An answer went out while records waited, none of them its own
 * (conn.c): counted for status (queries_early).
 */
void		 batch_count_early(struct batch *);
uint64_t	 batch_early(struct batch *);
/*
 * An entry of the history that is no write (enum proto_what: a start, a
 * rescan), at the seq reached so far; the writes it explains follow.  It
 * goes with the next commit.
 */
struct batch_mark {
	uint64_t	 seq;
	uint32_t	 what;
	int64_t		 wtime_ns;
};
void		 batch_mark(struct batch *, uint32_t);
/*
 * The records the commit being told gave a new seq, in seq order (then
 * path order), as its history has them (BATCH_COMMITTED subscribers).
 */
struct rec *const *batch_written(struct batch *, size_t *);
/* The entries of the commit being told (BATCH_COMMITTED subscribers). */
const struct batch_mark *batch_marks(struct batch *, size_t *);
/* Transactions committed since the start (depcheck status). */
uint64_t	 batch_commits(struct batch *);
/* batch_end(arg), for a callback (watch_start, rescan_set_end). */
void		 batch_end_cb(void *);
/*
 * Is everything written so far applied: queue empty, no rescan owed,
 * commits working?  (sync_now: answer at once.  What waits for the group
 * commit is committed before an answer that could carry its seqs.)
 */
int		 batch_settled(void *);
/*
 * batch_end(arg), then: was the queue read to empty, is no rescan owed
 * and did the commit work?  Then every write made before the call is
 * applied and committed (sync.c answers without a cookie).
 */
int		 batch_drained_cb(void *);

#endif
