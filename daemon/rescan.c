/*
 * Rescans (see rescan.h).  Reports come from the drain (batch.c, from
 * what apply.c made of each event); the rescans themselves are crawls
 * (scan.c) in SCAN_RECONCILE mode, each closing its drain like any event.
 */
#include <stdint.h>
#include <stdlib.h>

#include <uv.h>

#include "xmalloc.h"
#include "index.h"
#include "log.h"
#include "rescan.h"
#include "scan.h"
#include "sync.h"
#include "util.h"
#include "watch.h"

/* Overflows this soon after a rescan ended are one episode: back off. */
#define RESCAN_QUIET_MS		10000
#define RESCAN_BACKOFF_MIN_MS	100
#define RESCAN_BACKOFF_MAX_MS	3200

/*
 * Retry unwatched directories this often, and this soon after a watch
 * is freed.
 */
#define RESCAN_RETRY_MS		60000
#define RESCAN_FREED_MS		200

/* Look at the idle queue this often (rescan_idle_cb). */
#define RESCAN_IDLE_MS		1000

struct rescan {
	const char	*root;
	struct scan	*scan;
	struct watch	*watch;
	struct sync	*sync;
	void		(*end)(void *);
	void		*end_arg;
	int		 overflow;	/* reported: IN_Q_OVERFLOW */
	int		 lost;		/* reported: a watch lost */
	int		 pending;	/* owed after an overflow: syncs wait */
	uv_timer_t	 timer;		/* the deferred rescan */
	uv_timer_t	 retry;		/* watch the unwatched again */
	uv_timer_t	 idle;		/* observed_ns while nothing happens */
	int		 nclosing;
	unsigned	 backoff_ms;
	uint64_t	 end_ms;	/* monotonic end of the last rescan */
	int64_t		 last_ns;
	int64_t		 observed_ns;	/* every write before this was seen */
	uint64_t	 overflows;
	uint64_t	 rescans;
};

static void	 rescan_timer_cb(uv_timer_t *);
static void	 rescan_retry_cb(uv_timer_t *);
static void	 rescan_idle_cb(uv_timer_t *);
static void	 rescan_close_cb(uv_handle_t *);

struct rescan *
rescan_new(uv_loop_t *loop, const char *root, struct scan *scan,
    struct watch *w, struct sync *sync, int64_t observed_ns)
{
	struct rescan	*r;

	r = xcalloc(1, sizeof *r);
	r->root = root;
	r->scan = scan;
	r->watch = w;
	r->sync = sync;
	r->observed_ns = observed_ns;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	uv_timer_init(loop, &r->retry);
	r->retry.data = r;
	uv_timer_init(loop, &r->idle);
	r->idle.data = r;
	uv_timer_start(&r->idle, rescan_idle_cb, RESCAN_IDLE_MS,
	    RESCAN_IDLE_MS);
	return (r);
}

static void
rescan_close_cb(uv_handle_t *h)
{
	struct rescan	*r = h->data;

	if (--r->nclosing == 0)
		free(r);
}

void
rescan_free(struct rescan *r)
{
	if (r == NULL)
		return;
	r->nclosing = 3;
	uv_close((uv_handle_t *)&r->timer, rescan_close_cb);
	uv_close((uv_handle_t *)&r->retry, rescan_close_cb);
	uv_close((uv_handle_t *)&r->idle, rescan_close_cb);
}

void
rescan_set_end(struct rescan *r, void (*fn)(void *), void *arg)
{
	r->end = fn;
	r->end_arg = arg;
}

/*
 * Events were lost: everything may have changed since the queue was last
 * drained (observed_ns).  A file whose ctime is not older than that,
 * rounded down, may have been rewritten with matching stat facts (racily
 * clean), so it counts as changed; so does everything below a directory
 * of force, where nobody watched.
 */
static void
rescan_now(struct rescan *r, const char *why, struct index *force)
{
	log_info("%s: rescanning '%s'", why, log_esc(r->root));
	r->rescans++;
	r->last_ns = util_now_ns();
	r->pending = 0;
	scan_tree(r->scan, "", SCAN_RECONCILE, r->observed_ns, force);
	r->end_ms = uv_hrtime() / 1000000;
	sync_all_seen(r->sync);
}

static void
rescan_timer_cb(uv_timer_t *h)
{
	struct rescan	*r = h->data;

	rescan_now(r, "inotify queue overflow (deferred)", NULL);
	r->end(r->end_arg);
}

/*
 * Watch the unwatched directories again, by a rescan in which everything
 * below them counts as changed: nobody saw what happened there.  Those
 * that still fail go back on the list.
 */
static void
rescan_retry_cb(uv_timer_t *h)
{
	struct rescan	*r = h->data;
	struct index	*force;

	if (watch_unwatched_count(r->watch) == 0)
		return;
	force = watch_take_unwatched(r->watch);
	rescan_now(r, "retrying unwatched directories", force);
	index_free(force);
	r->end(r->end_arg);
}

/*
 * While nothing happens, observed_ns would stay at the end of the last
 * drain, and an overflow much later would restamp everything written in
 * the tick before it (on a file system with 1-second timestamps, in the
 * second before it) though every such write was seen: ties for nothing
 * (issue 11, item 3; tests/integ/t5025-overflow-precision.sh).  So look
 * now and then: the time is taken first, then the queue is found empty.
 * Every write made before that time had queued its event by then, and
 * none is queued, so each was read -- by a drain, which applies and
 * commits what it reads before it returns -- and every write before that
 * time was seen.  An overflow is an event too: while its rescan is owed
 * nothing moves.
 */
static void
rescan_idle_cb(uv_timer_t *h)
{
	struct rescan	*r = h->data;
	int64_t		 t_ns = util_now_ns();

	if (!r->pending && watch_queue_empty(r->watch) &&
	    t_ns > r->observed_ns)
		r->observed_ns = t_ns;
}

unsigned
rescan_backoff(unsigned *backoff_ms, uint64_t end_ms, uint64_t now_ms)
{
	if (end_ms == 0 || now_ms - end_ms >= RESCAN_QUIET_MS) {
		*backoff_ms = 0;
		return (0);
	}
	if (*backoff_ms == 0)
		*backoff_ms = RESCAN_BACKOFF_MIN_MS;
	else if ((*backoff_ms *= 2) > RESCAN_BACKOFF_MAX_MS)
		*backoff_ms = RESCAN_BACKOFF_MAX_MS;
	return (*backoff_ms);
}

/*
 * The inotify queue overflowed.  Rescan at once, unless the last rescan
 * ended less than RESCAN_QUIET_MS ago: then this is an overflow storm,
 * and rescans back off (doubling up to RESCAN_BACKOFF_MAX_MS) instead of
 * running in a loop.  Syncs wait for the owed rescan (batch.c).  One log
 * line per episode.
 */
static void
rescan_overflow(struct rescan *r)
{
	unsigned	was = r->backoff_ms, delay;

	if (r->pending)
		return;
	if ((delay = rescan_backoff(&r->backoff_ms, r->end_ms,
	    uv_hrtime() / 1000000)) == 0) {
		log_warn("inotify queue overflow: rescanning (raise"
		    " fs.inotify.max_queued_events if this repeats)");
		rescan_now(r, "inotify queue overflow", NULL);
		return;
	}
	if (was == 0)
		log_warn("repeated inotify queue overflows: rescanning at most"
		    " every %u ms until they stop", RESCAN_BACKOFF_MAX_MS);
	r->pending = 1;
	uv_timer_start(&r->timer, rescan_timer_cb, delay, 0);
}

void
rescan_overflowed(struct rescan *r)
{
	r->overflow = 1;
}

void
rescan_lost(struct rescan *r)
{
	r->lost = 1;
}

void
rescan_freed(struct rescan *r)
{
	if (watch_unwatched_count(r->watch) > 0)
		uv_timer_start(&r->retry, rescan_retry_cb, RESCAN_FREED_MS, 0);
}

int
rescan_run(struct rescan *r)
{
	if (r->overflow) {
		r->overflow = 0;
		r->lost = 0;	/* the overflow's rescan covers it */
		r->overflows++;
		rescan_overflow(r);
		return (1);
	}
	if (r->lost) {
		r->lost = 0;
		rescan_now(r, "lost a watch", NULL);
		return (1);
	}
	return (0);
}

void
rescan_drained(struct rescan *r, int64_t t_ns)
{
	/* Unless a rescan is still owed: then the overflow's time stands. */
	if (!r->pending)
		r->observed_ns = t_ns;
	/* Retry now and then: EACCES may be fixed, limits may be raised. */
	if (watch_unwatched_count(r->watch) > 0 &&
	    !uv_is_active((uv_handle_t *)&r->retry))
		uv_timer_start(&r->retry, rescan_retry_cb, RESCAN_RETRY_MS, 0);
}

int
rescan_pending(struct rescan *r)
{
	return (r->pending);
}

int64_t
rescan_observed(struct rescan *r)
{
	return (r->observed_ns);
}

uint64_t
rescan_overflows(struct rescan *r)
{
	return (r->overflows);
}

uint64_t
rescan_count(struct rescan *r)
{
	return (r->rescans);
}

int64_t
rescan_last_ns(struct rescan *r)
{
	return (r->last_ns);
}
