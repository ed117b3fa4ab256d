/*
 * The batch boundary (see batch.h).  One transaction per batch: refresh
 * the stat facts of what changed, write records, history, the seq
 * reservation and the time up to which every write was seen; only then
 * tell the subscribers.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "apply.h"
#include "batch.h"
#include "daemon.h"
#include "db.h"
#include "index.h"
#include "log.h"
#include "prune.h"
#include "rescan.h"
#include "scan.h"
#include "stamp.h"
#include "sync.h"
#include "util.h"
#include "watch.h"

/* How long a stop may wait for the last writes' tick to pass. */
#define BATCH_SETTLE_MAX_NS	3000000000LL
#define BATCH_SETTLE_NAP_NS	50000000LL
/*
 * Group commit: a drain that events woke (not a sync, a rescan or a stop)
 * leaves its records for up to BATCH_GROUP_MS, so that the drains of a
 * burst share a transaction, unless BATCH_GROUP_MAX records wait.
 */
#define BATCH_GROUP_MS		5
#define BATCH_GROUP_MAX		8192
/* A batch of this many records hands freed memory back (util_trim_heap). */
#define BATCH_TRIM_AFTER	4096

struct batch_sub {
	struct batch_sub *next;
	enum batch_when	 when;
	batch_refresh_fn refresh;
	batch_done_fn	 done;
	void		*arg;
};
struct batch {
	struct daemon	 *d;
	struct apply	  apply;	/* what events apply to */
	struct batch_sub *subs;		/* in the order of subscription */
	uint64_t	  commits;	/* transactions committed */
	uv_timer_t	 *group;	/* the group commit's wait */
	int		  grouping;	/* records wait for it */
	uint64_t	  committed_high; /* the high-water seq committed */
	uint64_t	  early;	/* see batch_count_early */
	struct rec	**sorted;	/* batch_write's copy of the dirty */
	size_t		  sorted_cap;
	size_t		  nwritten;	/* sorted[0..): the written, by seq */
	int		  first_sight_saved; /* meta first_sight_ns */
	struct batch_mark *marks;	/* history entries for the commit */
	size_t		  nmarks;
	size_t		  marks_cap;
};

struct batch *
batch_new(struct daemon *d)
{
	struct batch	*b;

	b = xcalloc(1, sizeof *b);
	b->d = d;
	b->committed_high = index_peek_seq(d->index) - 1;
	b->apply.rootfd = d->rootfd;
	b->apply.root = d->root;
	b->apply.index = d->index;
	b->apply.stamp = d->stamp;
	b->apply.watch = d->watch;
	b->apply.wdmap = watch_map(d->watch);
	b->apply.scan = d->scan;
	b->apply.ignore = d->ignore;
	b->group = xmalloc(sizeof *b->group);
	uv_timer_init(d->loop, b->group);
	b->group->data = b;
	return (b);
}

static void
batch_group_close_cb(uv_handle_t *h)
{
	free(h);
}

void
batch_free(struct batch *b)
{
	struct batch_sub	*s;

	if (b == NULL)
		return;
	while ((s = b->subs) != NULL)
		batch_unsubscribe(b, s);
	uv_close((uv_handle_t *)b->group, batch_group_close_cb);
	free(b->sorted);
	free(b->marks);
	free(b);
}

struct batch_sub *
batch_subscribe(struct batch *b, enum batch_when when,
    batch_refresh_fn refresh, batch_done_fn done, void *arg)
{
	struct batch_sub	*s, **ps;

	s = xcalloc(1, sizeof *s);
	s->when = when;
	s->refresh = refresh;
	s->done = done;
	s->arg = arg;
	ps = &b->subs;
	while (*ps != NULL)
		ps = &(*ps)->next;
	*ps = s;
	return (s);
}

void
batch_unsubscribe(struct batch *b, struct batch_sub *s)
{
	struct batch_sub	**ps;

	for (ps = &b->subs; *ps != NULL; ps = &(*ps)->next) {
		if (*ps == s) {
			*ps = s->next;
			free(s);
			return;
		}
	}
}

void
batch_mark(struct batch *b, uint32_t what)
{
	struct batch_mark	*m;

	if (b->nmarks == b->marks_cap) {
		b->marks_cap = b->marks_cap == 0 ? 4 : b->marks_cap * 2;
		b->marks = xreallocarray(b->marks, b->marks_cap,
		    sizeof *b->marks);
	}
	m = &b->marks[b->nmarks++];
	m->seq = index_peek_seq(b->d->index) - 1;
	m->what = what;
	m->wtime_ns = util_now_ns();
}

struct rec *const *
batch_written(struct batch *b, size_t *n)
{
	*n = b->nwritten;
	return (b->sorted);
}

const struct batch_mark *
batch_marks(struct batch *b, size_t *n)
{
	*n = b->nmarks;
	return (b->marks);
}

/* Route what an event meant besides the index (apply.h). */
static void
batch_route(struct batch *b, const struct inotify_event *ev, int flags)
{
	struct daemon	*d = b->d;

	if (flags & APPLY_OVERFLOW) {
		batch_mark(b, PROTO_RESCAN_OVERFLOW);
		rescan_overflowed(d->rescan);
	}
	if (flags & APPLY_LOST) {
		batch_mark(b, PROTO_RESCAN_LOST);
		rescan_lost(d->rescan);
	}
	if (flags & APPLY_FREED)
		rescan_freed(d->rescan);
	if (flags & APPLY_COOKIE)
		sync_cookie_seen(d->sync, ev->name);
	if (flags & APPLY_STOP)
		daemon_shutdown(d);
}

/*
 * Read and apply events until the queue is empty.  Lost events are
 * rescanned (or the rescan deferred) and the queue read again, so that
 * when this returns every write made before its last read was seen: the
 * window of any crawl closes (scan.c, scan_found).
 */
static int
batch_drain(struct batch *b)
{
	struct daemon			*d = b->d;
	const struct inotify_event	*ev;
	char				 buf[64 * 1024]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t				 n;
	char				*p;
	int64_t				 before;

	for (;;) {
		before = util_now_ns();
		n = watch_read(d->watch, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n > 0) {
			for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
				ev = (const struct inotify_event *)p;
				batch_route(b, ev, apply_event(&b->apply, ev));
			}
			continue;
		}
		if (n == 0 || errno != EAGAIN) {
			log_warn("cannot read the inotify events of '%s': %s",
			    log_esc(d->root), n == 0 ? "end of file" :
			    strerror(errno));
			return (-1);
		}
		if (rescan_run(d->rescan))
			continue;
		break;
	}
	stamp_close(d->stamp);
	rescan_drained(d->rescan, before);
	return (0);
}

/* Write the seq mark file (ROOT/.depcheck/seq); -1 on failure. */
static int
batch_seqmark_write(struct batch *b, uint64_t mark)
{
	char	buf[32];
	int	len;

	len = snprintf(buf, sizeof buf, "%020" PRIu64 "\n", mark);
	if (pwrite(b->d->seqmark_fd, buf, (size_t)len, 0) != len)
		return (-1);
	return (0);
}

/* Tell the subscribers, the data before the answers. */
static void
batch_tell(struct batch *b, struct rec *const *recs, size_t n,
    const char *cause, int failed_now)
{
	struct batch_sub	*s, *next;
	int			 settled;

	/* Events were lost and the rescan is still owed: syncs wait. */
	settled = failed_now || !rescan_pending(b->d->rescan);
	for (s = b->subs; s != NULL; s = next) {
		next = s->next;
		if (s->when == BATCH_COMMITTED)
			s->done(s->arg, recs, n, cause);
	}
	if (!settled)
		return;
	for (s = b->subs; s != NULL; s = next) {
		next = s->next;
		if (s->when == BATCH_SETTLED)
			s->done(s->arg, recs, n, cause);
	}
}

/*
 * Write the dirty records in one transaction.  -1 with a cause.  The
 * stat facts of what was written are taken now, after the write was
 * seen, except those a crawl of this batch took (fresh: see scan_found),
 * after the write it found, and that no event has written since.  The
 * refresh subscribers are not called for those: they would be handed the
 * facts the record holds already, and publish_moved does nothing unless
 * the inode changed.  (A write racing this commit, whose event the next
 * drain reads, is refreshed by that drain's commit.)
 */
static int
batch_write(struct batch *b, struct rec **dirty, size_t n, char **cause)
{
	struct daemon		*d = b->d;
	struct batch_sub	*s;
	struct rec		*r;
	struct stat		 st;
	uint64_t		 mark;
	size_t			 i, nw;
	int			 rc = 0;

	for (i = 0; i < n; i++) {
		r = dirty[i];
		if (r->fresh)
			r->fresh = 0;	/* a failed commit's retry stats */
		else if (r->exists && fstatat(d->rootfd,
		    *r->path ? r->path : ".", &st, AT_SYMLINK_NOFOLLOW) == 0) {
			for (s = b->subs; s != NULL; s = s->next) {
				if (s->refresh != NULL)
					s->refresh(s->arg, r, &st);
			}
			index_set_facts(r, &st);
		}
	}
	/*
	 * Records in path order, the order of their table (WITHOUT ROWID,
	 * keyed by path), and the history in seq order, the order of its
	 * index: each page is then visited once, and a large batch (a
	 * crawl's) does not spill the page cache into the WAL before the
	 * commit.  The dirty list keeps its order (the subscribers').
	 */
	if (n > b->sorted_cap) {
		b->sorted_cap = n;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		b->sorted = xreallocarray(b->sorted, n, sizeof *b->sorted);
	}
	/* None (only history entries, a start's): no pointers to copy. */
	if (n > 0) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		memcpy(b->sorted, dirty, n * sizeof *dirty);
		index_sort_by_path(b->sorted, n);
	}
	if (db_begin(d->db) != 0 || db_put_records(d->db, b->sorted, n) != 0)
		rc = -1;
	for (i = nw = 0; i < n; i++) {
		if (b->sorted[i]->dirty == INDEX_WRITTEN)
			b->sorted[nw++] = b->sorted[i];
	}
	index_sort_by_seq(b->sorted, nw);
	b->nwritten = nw;
	if (rc == 0 && db_add_histories(d->db, b->sorted, nw) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < b->nmarks; i++)
		rc = db_add_entry(d->db, b->marks[i].seq, b->marks[i].what,
		    "", b->marks[i].wtime_ns);
	if (rc == 0 && index_need_reserve(d->index, &mark)) {
		/* The mark file first: it may only ever be ahead. */
		if (batch_seqmark_write(b, mark) != 0) {
			rc = -1;
			index_unreserve(d->index);
		} else
			rc = db_set_meta(d->db, "seq_reserved", (int64_t)mark);
	}
	if (rc == 0)
		rc = db_set_meta(d->db, "observed_ns",
		    rescan_observed(d->rescan));
	if (rc == 0 && d->first_sight_ns != 0 && !b->first_sight_saved)
		rc = db_set_meta(d->db, "first_sight_ns", d->first_sight_ns);
	/* Not earlier than any time presented so far (publish.c). */
	if (rc == 0)
		rc = db_set_meta(d->db, "presented_high", util_now_ns());
	if (rc == 0) {
		if ((rc = db_commit(d->db, cause)) == 0) {
			b->commits++;
			b->first_sight_saved = 1;
		}
		return (rc);
	}
	xasprintf(cause, "cannot write database '%s': %s", d->dbpath,
	    db_errmsg(d->db));
	db_rollback(d->db);
	return (-1);
}

/* Commit what the drain changed, then tell the subscribers. */
static void
batch_commit(struct batch *b)
{
	struct daemon	 *d = b->d;
	struct rec	**dirty;
	size_t		  n;
	char		 *cause = NULL;

	if (b->grouping) {
		uv_timer_stop(b->group);
		b->grouping = 0;
	}
	dirty = index_dirty(d->index, &n);
	b->nwritten = 0;
	if (n == 0 && b->nmarks == 0) {
		if (!d->db_failed)
			b->committed_high = index_peek_seq(d->index) - 1;
		batch_tell(b, NULL, 0, d->db_failed ? d->db_cause : NULL, 0);
		return;
	}
	if (batch_write(b, dirty, n, &cause) != 0) {
		/* Keep the batch dirty: the next one retries it. */
		if (!d->db_failed)
			log_warn("%s", cause);
		free(d->db_cause);
		d->db_cause = cause;
		d->db_failed = 1;
		batch_tell(b, dirty, n, cause, 1);
		return;
	}
	if (d->db_failed)
		log_info("database writes work again");
	d->db_failed = 0;
	b->committed_high = index_peek_seq(d->index) - 1;
	/* The image before the syncs are answered: a synced tool sees it. */
	batch_tell(b, dirty, n, NULL, 0);
	b->nmarks = 0;
	if (prune_batch(d->prune, index_clear_dirty(d->index)) == 0 &&
	    n < BATCH_TRIM_AFTER)
		return;
	/*
	 * A crawl's batch or forgotten records: what they freed goes back,
	 * not only the heap's top, and sqlite's cache of what they wrote.
	 * So does the crawl's copy of its records (8 bytes a file, held
	 * until the next crawl otherwise).
	 */
	if (b->sorted_cap >= BATCH_TRIM_AFTER) {
		free(b->sorted);
		b->sorted = NULL;
		b->sorted_cap = 0;
		b->nwritten = 0;
	}
	db_release_memory(d->db);	/* and the heap's free pages */
}

void
batch_end(struct batch *b)
{
	(void)batch_drain(b);
	batch_commit(b);
}

static void
batch_group_cb(uv_timer_t *h)
{
	batch_end(h->data);
}

/*
 * After a drain: commit what it wrote now (nothing waits, too much waits,
 * or commits fail and are retried at once, as ever), or let it wait for
 * the group's timer (group commit, see BATCH_GROUP_MS).  Meanwhile every
 * answer that could carry one of its seqs commits it first (batch_flush,
 * from conn.c's conn_commit_for).
 */
static void
batch_group(struct batch *b)
{
	size_t	n;

	(void)index_dirty(b->d->index, &n);
	if (n == 0 || n >= BATCH_GROUP_MAX || b->d->db_failed) {
		batch_commit(b);
		return;
	}
	if (!b->grouping) {
		uv_timer_start(b->group, batch_group_cb, BATCH_GROUP_MS, 0);
		b->grouping = 1;
	}
}

/* The queue is readable. */
void
batch_events_cb(void *arg)
{
	struct batch	*b = arg;

	(void)batch_drain(b);
	batch_group(b);
}

void
batch_flush(struct batch *b)
{
	if (b != NULL && b->grouping)	/* NULL: conn.c's unit tests */
		batch_commit(b);
}

uint64_t
batch_high(struct batch *b)
{
	size_t	n;

	(void)index_dirty(b->d->index, &n);
	return (n > 0 || b->nmarks > 0 || b->d->db_failed ?
	    b->committed_high : index_peek_seq(b->d->index) - 1);
}

int
batch_waiting(struct batch *b)
{
	return (b != NULL && b->grouping);
}

void
batch_count_early(struct batch *b)
{
	b->early++;
}

uint64_t
batch_early(struct batch *b)
{
	return (b->early);
}

/*
 * The slow path of a sync without a cookie (sync.c, sync_check_cb): the
 * requests were read before this drain began, so every write they wait
 * for was queued before it and is read by it (the queue is read until
 * it is empty).  Once no rescan is owed for events lost on the way, they
 * can be answered; what arrived since does not matter to them.  What the
 * drain wrote may wait for the group commit: each answer commits first
 * unless it carries no seq that waits (conn.c, conn_commit_for).
 */
int
batch_drained_cb(void *arg)
{
	struct batch	*b = arg;
	struct daemon	*d = b->d;
	int		 read_all;

	read_all = batch_drain(b) == 0;
	batch_group(b);
	return (read_all && !rescan_pending(d->rescan) && !d->db_failed);
}

/*
 * A clean stop (issue 11, item 3).  The next start keeps the seq of a file
 * whose stat facts match its record and whose ctime is older than
 * scan_floor(observed_ns) (scan.c), and observed_ns is the moment before
 * the last read that found the queue empty.  Every write made before that
 * read was read by it or earlier, and its record's facts were taken by a
 * commit after the write (batch_write); a write made after it is stamped
 * by the coarse clock no earlier than scan_floor(observed_ns), so its file
 * counts as changed at the next start even if every other fact matches.
 * That holds after kill -9 too, with the observed_ns of the last commit;
 * what a clean stop adds is time.  Files written in the last tick before
 * the stop would still count as changed (racily clean), tie by ctime, and
 * a target built in the second its source was saved would be rebuilt
 * after every restart.  So the stop goes on watching until every
 * recorded ctime is older than scan_floor(now) -- at most a tick on a
 * file system with nanosecond timestamps, up to a second (and a tick) on
 * one with 1-second timestamps -- draining what arrives meanwhile, and
 * then commits observed_ns even if nothing changed.  It gives up after
 * BATCH_SETTLE_MAX_NS (writes that keep coming, a ctime in the future):
 * those files are then restamped, never trusted
 * (tests/integ/t2007-restart-precision.sh, t2008).
 */
void
batch_stop(struct batch *b)
{
	struct daemon	*d = b->d;
	struct timespec	 nap;
	int64_t		 limit, until, now;
	char		*cause;

	limit = util_now_ns() + BATCH_SETTLE_MAX_NS;
	for (;;) {
		batch_end(b);
		if (d->db_failed || rescan_pending(d->rescan))
			return;
		until = scan_settled_at(d->scan);
		if (rescan_observed(d->rescan) >= until)
			break;
		if (until > limit) {
			log_info("stopping without waiting for the last"
			    " writes' clock tick: they count as changed at the"
			    " next start");
			break;
		}
		if ((now = util_now_ns()) < until) {
			nap.tv_sec = 0;
			nap.tv_nsec = until - now < BATCH_SETTLE_NAP_NS ?
			    (long)(until - now) : (long)BATCH_SETTLE_NAP_NS;
			nanosleep(&nap, NULL);
		}
	}
	if (db_begin(d->db) != 0 || db_set_meta(d->db, "observed_ns",
	    rescan_observed(d->rescan)) != 0) {
		log_warn("cannot write database '%s': %s", d->dbpath,
		    db_errmsg(d->db));
		db_rollback(d->db);
		return;
	}
	if (db_commit(d->db, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
}

uint64_t
batch_commits(struct batch *b)
{
	return (b->commits);
}

void
batch_end_cb(void *arg)
{
	batch_end(arg);
}

int
batch_settled(void *arg)
{
	struct batch	*b = arg;
	struct daemon	*d = b->d;

	return (!rescan_pending(d->rescan) && !d->db_failed &&
	    watch_queue_empty(d->watch));
}
