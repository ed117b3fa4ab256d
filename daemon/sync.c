/*
 * Cookie sync (see sync.h), after git's fsmonitor daemon and watchman.
 * Called by conn.c (requests), batch.c (cookie events, and answers, which
 * go out only after the commit) and rescan.c.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "xmalloc.h"
#include "daemon.h"
#include "log.h"
#include "sync.h"

struct sync_waiter {
	TAILQ_ENTRY(sync_waiter) entry;
	struct cookie	*cookie;
	sync_cb		 cb;
	void		*arg;
};
TAILQ_HEAD(waiters, sync_waiter);

struct cookie {
	TAILQ_ENTRY(cookie) entry;
	struct sync	*sync;
	uint64_t	 id;
	int		 seen;
	uv_timer_t	 timer;
	struct waiters	 waiters;
};
TAILQ_HEAD(cookies, cookie);

struct sync {
	struct daemon	*d;
	int		 dirfd;
	unsigned	 timeout_ms;
	uint64_t	 next_id;
	int		 drop;		/* testing aid: never see cookies */
	int		(*settled)(void *);
	int		(*drained)(void *);
	void		*settled_arg;
	struct cookie	*pending;	/* waiters with no cookie file yet */
	struct sync_counts counts;
	struct cookies	 cookies;	/* cookie files created, not answered */
	uv_check_t	 check;
};

static void	 sync_check_cb(uv_check_t *);
static void	 sync_timer_cb(uv_timer_t *);
static void	 sync_cookie_close_cb(uv_handle_t *);

struct sync *
sync_new(struct daemon *d, const char *dir, unsigned timeout_ms, char **cause)
{
	struct sync	*s;

	s = xcalloc(1, sizeof *s);
	s->d = d;
	s->timeout_ms = timeout_ms;
	s->next_id = 1;
	s->drop = getenv("DEPCHECKD_TEST_DROP_COOKIES") != NULL;
	TAILQ_INIT(&s->cookies);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd == -1) {
		xasprintf(cause, "cannot open '%s': %s", dir, strerror(errno));
		free(s);
		return (NULL);
	}
	uv_check_init(d->loop, &s->check);
	s->check.data = s;
	return (s);
}

static struct cookie *
sync_cookie_new(struct sync *s)
{
	struct cookie	*c;

	c = xcalloc(1, sizeof *c);
	c->sync = s;
	c->id = s->next_id++;
	TAILQ_INIT(&c->waiters);
	uv_timer_init(s->d->loop, &c->timer);
	c->timer.data = c;
	return (c);
}

static void
sync_cookie_close_cb(uv_handle_t *h)
{
	free(h->data);
}

/* Answer every waiter of c and free it (the memory goes in the close cb). */
static void
sync_cookie_finish(struct cookie *c, const char *cause)
{
	struct sync		*s = c->sync;
	struct sync_waiter	*w;
	char			 name[64];

	if (c != s->pending) {
		TAILQ_REMOVE(&s->cookies, c, entry);
		snprintf(name, sizeof name, "%" PRIu64, c->id);
		if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
			log_warn("cannot remove cookie '%s': %s", name,
			    strerror(errno));
	} else
		s->pending = NULL;
	while ((w = TAILQ_FIRST(&c->waiters)) != NULL) {
		TAILQ_REMOVE(&c->waiters, w, entry);
		w->cb(w->arg, cause);
		free(w);
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, sync_cookie_close_cb);
}

void
sync_free(struct sync *s)
{
	struct cookie	*c;

	if (s == NULL)
		return;
	if (s->pending != NULL)
		sync_cookie_finish(s->pending, "the daemon is stopping");
	while ((c = TAILQ_FIRST(&s->cookies)) != NULL)
		sync_cookie_finish(c, "the daemon is stopping");
	uv_close((uv_handle_t *)&s->check, NULL);
	close(s->dirfd);
	free(s);
}

/*
 * The fast path.  inotify queues an event inside the system call that
 * makes the write (a write, a rename, the last close of a file in
 * exit(2), before the parent can reap the writer), so once a request
 * has been read, every write that completed before it was sent is in the
 * queue or was read from it.  The loop applies what it reads in the same
 * callback (watch_read_cb, batch_events_cb): an empty queue, seen from a
 * connection's callback, means all of it is applied; what waits for the
 * group commit is committed before an answer that could carry its seqs
 * (conn.c, conn_commit_for).  A cookie is needed only while events wait
 * in the queue (or a rescan is owed, or commits fail).  One round trip, no file
 * created: what a build tool pays after each child it reaps under
 * depcheck exec (t3001 races writes against checks through both paths).
 */
int
sync_now(struct sync *s)
{
	if (s->drop || s->settled == NULL || !s->settled(s->settled_arg))
		return (0);
	s->counts.at_once++;
	return (1);
}

const struct sync_counts *
sync_counts(struct sync *s)
{
	return (&s->counts);
}

void
sync_set_settled(struct sync *s, int (*settled)(void *),
    int (*drained)(void *), void *arg)
{
	s->settled = settled;
	s->drained = drained;
	s->settled_arg = arg;
}

struct sync_waiter *
sync_request(struct sync *s, sync_cb cb, void *arg)
{
	struct sync_waiter	*w;

	if (s->pending == NULL) {
		s->pending = sync_cookie_new(s);
		uv_check_start(&s->check, sync_check_cb);
	}
	w = xcalloc(1, sizeof *w);
	w->cookie = s->pending;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&s->pending->waiters, w, entry);
	return (w);
}

void
sync_cancel(struct sync *s, struct sync_waiter *w)
{
	TAILQ_REMOVE(&w->cookie->waiters, w, entry);
	free(w);
}

/*
 * After this loop iteration's requests were read, for all of them at
 * once: drain the queue and commit (the fast path's argument again:
 * every write they depend on was queued before they were read, so the
 * drain reads it), and answer.  Only when that cannot prove it -- events
 * were lost and the rescan is deferred, a commit failed, the queue could
 * not be read -- create one cookie and wait for its event.  Under a
 * steady writer the queue is never empty when a request arrives; the
 * drain then costs what the cookie's own batch would, without creating,
 * reading and removing a file (issue 11; tests/integ/t3001 races writes
 * against checks, t6004 under a writer).
 */
static void
sync_check_cb(uv_check_t *h)
{
	struct sync	*s = h->data;
	struct cookie	*c = s->pending;
	char		 name[64], *cause;
	int		 fd;

	uv_check_stop(&s->check);
	if (c == NULL)
		return;
	if (TAILQ_EMPTY(&c->waiters)) {
		sync_cookie_finish(c, NULL);
		return;
	}
	if (!s->drop && s->drained != NULL && s->drained(s->settled_arg)) {
		s->counts.drained++;
		sync_cookie_finish(c, NULL);
		return;
	}
	s->counts.cookies++;
	s->pending = NULL;
	TAILQ_INSERT_TAIL(&s->cookies, c, entry);
	snprintf(name, sizeof name, "%" PRIu64, c->id);
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		xasprintf(&cause, "cannot create sync cookie in '%s/cookies':"
		    " %s", s->d->statedir, strerror(errno));
		log_warn("%s", cause);
		sync_cookie_finish(c, cause);
		free(cause);
		return;
	}
	close(fd);
	uv_timer_start(&c->timer, sync_timer_cb, s->timeout_ms, 0);
}

static void
sync_timer_cb(uv_timer_t *h)
{
	struct cookie	*c = h->data;
	char		*cause;

	xasprintf(&cause, "could not sync with the file system within %u ms",
	    c->sync->timeout_ms);
	log_warn("%s", cause);
	sync_cookie_finish(c, cause);
	free(cause);
}

void
sync_cookie_seen(struct sync *s, const char *name)
{
	struct cookie	*c;
	char		*end;
	uint64_t	 id;

	if (s->drop)
		return;
	errno = 0;
	id = strtoull(name, &end, 10);
	if (errno != 0 || *end != '\0')
		return;
	TAILQ_FOREACH(c, &s->cookies, entry) {
		if (c->id == id) {
			c->seen = 1;
			return;
		}
	}
}

void
sync_all_seen(struct sync *s)
{
	struct cookie	*c;

	TAILQ_FOREACH(c, &s->cookies, entry)
		c->seen = 1;
}

void
sync_batch_done(struct sync *s, const char *cause)
{
	struct cookie	*c, *next;

	for (c = TAILQ_FIRST(&s->cookies); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->seen)
			sync_cookie_finish(c, cause);
	}
}

void
sync_batch_cb(void *arg, struct rec *const *recs, size_t n,
    const char *cause)
{
	sync_batch_done(arg, cause);
}
