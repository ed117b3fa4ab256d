/*
 * Sync: prove that every write completed before a request was sent has
 * been seen.  inotify queues an event inside the system call that makes
 * the write, so a queue found empty after a request was read, or read to
 * empty after it, proves it (sync.c).  Where that proof fails (events
 * lost and the rescan deferred, commits failing), a cookie file is
 * created in the daemon's own watched directory (ROOT/.depcheck/cookies);
 * inotify queues events in order, so once the cookie's event is read,
 * every earlier write's event has been read too.  Requests that arrive in
 * one loop iteration share one drain, or one cookie.
 */
#ifndef SYNC_H
#define SYNC_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct rec;
struct sync;
struct sync_waiter;

/* Called once the sync is done: cause NULL on success, else borrowed. */
typedef void (*sync_cb)(void *, const char *);

/* How syncs were proved, since the daemon started (depcheck status). */
struct sync_counts {
	uint64_t	at_once;	/* the queue was empty: sync_now */
	uint64_t	drained;	/* requests of one loop turn, a drain */
	uint64_t	cookies;	/* cookie files created */
};

struct sync	*sync_new(struct daemon *, const char *, unsigned, char **);
void		 sync_free(struct sync *);
/*
 * How sync_now learns that everything written so far is applied and
 * committed (batch_settled: the queue empty, no rescan owed, commits
 * working).  Until this is called, sync_now says no.
 */
void		 sync_set_settled(struct sync *, int (*)(void *),
		     int (*)(void *), void *);
/*
 * Is every write that completed before now already read and committed?
 * Then a request just read can be answered at once, without a cookie
 * (see sync.c).
 */
int		 sync_now(struct sync *);
const struct sync_counts *sync_counts(struct sync *);
/* Wait for a sync; the returned waiter is owned by sync.c. */
struct sync_waiter *sync_request(struct sync *, sync_cb, void *);
/* Forget a waiter whose requester went away. */
void		 sync_cancel(struct sync *, struct sync_waiter *);
/* The cookie named name was seen in the event stream. */
void		 sync_cookie_seen(struct sync *, const char *);
/* A rescan covered everything: every created cookie counts as seen. */
void		 sync_all_seen(struct sync *);
/*
 * The batch was committed (cause NULL) or failed: answer the waiters of
 * every seen cookie.
 */
void		 sync_batch_done(struct sync *, const char *);
/* sync_batch_done as a batch subscriber (batch.h, BATCH_SETTLED). */
void		 sync_batch_cb(void *, struct rec *const *, size_t,
		     const char *);

#endif
