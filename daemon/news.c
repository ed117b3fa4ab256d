/*
 * since, log and watch (see news.h).  A since or log answer is one history
 * read (hist.c): a frame, then, once the connection sent it, the next; a
 * slow reader slows the read down and holds no more than a frame here.
 *
 * A watch with a token replays the history up to what was committed when
 * it asked, then again up to what was committed since, until a replay
 * ends with nothing newer committed: it goes live in that same callback,
 * so no commit falls between the replay and the live stream, and none is
 * in both.  Live, every commit's writes (and the starts and rescans it
 * holds, batch_marks) go to each watcher whose paths they are under, in
 * seq order.  A watcher that has more than its cap unread when a commit
 * comes gets one CHANGES_END overrun with the seq up to which it got
 * everything (a whole commit), and is dropped: no reader makes the daemon
 * hold more than the cap and one commit for it.
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "proto.h"
#include "xmalloc.h"
#include "batch.h"
#include "daemon.h"
#include "db.h"
#include "hist.h"
#include "index.h"
#include "log.h"
#include "news.h"
#include "watch.h"

struct news {
	struct daemon		*d;
	struct news_stream	*watchers;	/* live or replaying */
	size_t			 nwatchers;
	uint64_t		 committed;	/* every seq up to it is */
};

enum news_state {
	NEWS_READING,		/* a history read runs */
	NEWS_LIVE,		/* watch: commits are pushed */
	NEWS_DONE,		/* ended (answered, failed, fell behind) */
};

struct news_stream {
	struct news		*news;
	struct news_sink	 sink;
	int			 watch;
	enum news_state		 state;
	struct hist		*hist;
	int			 waiting;	/* a frame is out */
	struct hist_req		 req;		/* the read (to: its end) */
	int			 fresh;		/* a read listed everything */
	uint64_t		 db_id;
	uint64_t		 history_from;
	uint64_t		 high;		/* watch: all up to it sent */
	struct news_stream	*next;		/* in news->watchers */
};

static void	 news_hist_cb(void *, struct pbuf *, const struct hist_end *,
		     const char *);
static void	 news_batch_cb(void *, struct rec *const *, size_t,
		     const char *);

struct news *
news_new(struct daemon *d)
{
	struct news	*n;

	n = xcalloc(1, sizeof *n);
	n->d = d;
	n->committed = index_peek_seq(d->index) - 1;
	batch_subscribe(d->batch, BATCH_COMMITTED, NULL, news_batch_cb, n);
	return (n);
}

void
news_free(struct news *n)
{
	if (n == NULL)
		return;
	/* The connections went first (server_free): no watcher is left. */
	free(n);
}

size_t
news_watchers(struct news *n)
{
	return (n->nwatchers);
}

static void
news_unlist(struct news_stream *s)
{
	struct news_stream	**ps;

	for (ps = &s->news->watchers; *ps != NULL; ps = &(*ps)->next) {
		if (*ps == s) {
			*ps = s->next;
			s->news->nwatchers--;
			return;
		}
	}
}

static struct news_stream *
news_stream_new(struct news *n, const struct news_sink *sink,
    char *const *prefixes, size_t np)
{
	struct news_stream	*s;
	size_t			 i;

	s = xcalloc(1, sizeof *s);
	s->news = n;
	s->sink = *sink;
	s->state = NEWS_READING;
	if (np > 0) {
		s->req.prefixes = xreallocarray(NULL, np,
		    sizeof *s->req.prefixes);
		for (i = 0; i < np; i++)
			s->req.prefixes[i] = xstrdup(prefixes[i]);
	}
	s->req.nprefixes = np;
	s->db_id = db_id(n->d->db);
	s->history_from = db_history_from(n->d->db);
	return (s);
}

static void
news_read(struct news_stream *s)
{
	struct daemon	*d = s->news->d;

	s->state = NEWS_READING;
	s->hist = hist_start(d->loop, d->dbpath, &s->req, news_hist_cb, s);
}

struct news_stream *
news_since(struct news *n, const struct news_sink *sink, uint64_t id,
    uint64_t seq)
{
	struct news_stream	*s;

	s = news_stream_new(n, sink, NULL, 0);
	s->req.kind = HIST_SINCE;
	s->req.db_id = id;
	s->req.from = seq;
	s->req.to = n->committed;
	news_read(s);
	return (s);
}

struct news_stream *
news_log(struct news *n, const struct news_sink *sink, uint64_t max,
    char *const *prefixes, size_t np)
{
	struct news_stream	*s;

	s = news_stream_new(n, sink, prefixes, np);
	s->req.kind = HIST_LOG;
	s->req.max = max;
	s->req.to = n->committed;
	news_read(s);
	return (s);
}

/* The CHANGES_END of a stream, with flags, at seq. */
static void
news_end_frame(struct news_stream *s, struct pbuf *b, uint32_t flags,
    uint64_t seq)
{
	struct proto_changes_end	e;

	e.flags = flags | (s->fresh ? PROTO_END_FRESH : 0);
	/* What the daemon does not see is not in the answer: say so. */
	if (watch_unwatched_count(s->news->d->watch) > 0 ||
	    watch_remote_count(s->news->d->watch) > 0)
		e.flags |= PROTO_END_PARTIAL;
	e.db_id = s->db_id;
	e.seq = seq;
	e.history_from = s->history_from;
	pbuf_init(b);
	proto_pack_changes_end(b, &e);
}

/* A watch has sent everything up to s->high: live from here. */
static void
news_go_live(struct news_stream *s)
{
	struct pbuf	b;

	s->state = NEWS_LIVE;
	news_end_frame(s, &b, PROTO_END_LIVE, s->high);
	s->sink.push(s->sink.arg, &b);
}

struct news_stream *
news_watch(struct news *n, const struct news_sink *sink, int since,
    uint64_t id, uint64_t seq, char *const *prefixes, size_t np)
{
	struct news_stream	*s;

	s = news_stream_new(n, sink, prefixes, np);
	s->watch = 1;
	s->next = n->watchers;
	n->watchers = s;
	n->nwatchers++;
	s->high = n->committed;
	if (!since) {
		news_go_live(s);
		return (s);
	}
	s->req.kind = HIST_REPLAY;
	s->req.db_id = id;
	s->req.from = seq;
	s->req.to = n->committed;
	news_read(s);
	return (s);
}

static void
news_hist_cb(void *arg, struct pbuf *frame, const struct hist_end *end,
    const char *cause)
{
	struct news_stream	*s = arg;
	struct pbuf		 b;

	if (frame != NULL) {
		s->waiting = 1;
		s->sink.push(s->sink.arg, frame);
		return;
	}
	s->hist = NULL;
	if (cause != NULL) {
		log_warn("%s", cause);
		s->state = NEWS_DONE;
		if (s->watch)
			news_unlist(s);
		s->sink.fail(s->sink.arg, cause);	/* may free s */
		return;
	}
	if (end->fresh)
		s->fresh = 1;
	s->db_id = end->db_id;
	if (end->history_from > s->history_from)
		s->history_from = end->history_from;
	if (!s->watch) {
		s->state = NEWS_DONE;
		news_end_frame(s, &b, 0, s->req.to);
		s->sink.finish(s->sink.arg, &b, 0);	/* frees s */
		return;
	}
	s->high = s->req.to;
	if (s->news->committed > s->high) {
		/* Committed meanwhile: read that too, then go live. */
		s->req.db_id = s->db_id;
		s->req.from = s->high;
		s->req.to = s->news->committed;
		news_read(s);
		return;
	}
	news_go_live(s);
}

int
news_live(const struct news_stream *s)
{
	return (s != NULL && s->state == NEWS_LIVE);
}

void
news_sent(struct news_stream *s)
{
	if (s == NULL || !s->waiting || s->hist == NULL)
		return;
	s->waiting = 0;
	hist_next(s->hist);
}

void
news_cancel(struct news_stream *s)
{
	size_t	i;

	if (s == NULL)
		return;
	if (s->watch && s->state != NEWS_DONE)
		news_unlist(s);
	hist_cancel(s->hist);
	for (i = 0; i < s->req.nprefixes; i++)
		free(s->req.prefixes[i]);
	free(s->req.prefixes);
	free(s);
}

/* A commit's changes for one watcher, cut into frames. */
struct news_out {
	struct news_stream	*s;
	struct pbuf		 b;
	size_t			 off;
	uint32_t		 n;
	uint64_t		 last;		/* seq of the last change in b */
};

/* Send what out holds; resume: every change up to it is then sent. */
static void
news_out_flush(struct news_out *o, uint64_t resume)
{
	struct news_stream	*s = o->s;

	if (o->n == 0)
		return;
	proto_changes_end(&o->b, o->off, o->n);
	o->n = 0;
	s->sink.push(s->sink.arg, &o->b);
	s->high = resume;
	pbuf_init(&o->b);
}

/*
 * Is the watcher more than its cap behind when a commit comes?  Then it
 * gets its overrun end, with the seq of the last commit it got whole,
 * and goes.  (A commit's frames all go to one that keeps up: what is
 * held for a watcher is its cap and one commit at most.)
 */
static int
news_fell_behind(struct news_stream *s)
{
	struct pbuf	end;

	if (s->sink.room(s->sink.arg) > 0)
		return (0);
	log_warn("a watcher fell behind (more than its cap unread):"
	    " ending its watch at seq %llu", (unsigned long long)s->high);
	s->state = NEWS_DONE;
	news_unlist(s);
	news_end_frame(s, &end, PROTO_END_OVERRUN, s->high);
	s->sink.finish(s->sink.arg, &end, 1);
	return (1);
}

/*
 * Add a change.  A frame ends between two seqs once it holds HIST_FRAME
 * bytes, so that a client that stops after it resumes after a whole seq;
 * only a seq whose changes pass PROTO_MAX_MSG is cut inside.
 */
static void
news_out_add(struct news_out *o, const struct proto_change *c)
{
	size_t	len = o->n == 0 ? 0 : o->b.len - o->off - PROTO_HDR_LEN;

	if (o->n > 0 && ((len >= HIST_FRAME && c->seq != o->last) ||
	    len + PROTO_CHANGE_FIXED + c->pathlen + 4 > PROTO_MAX_MSG))
		news_out_flush(o, c->seq != o->last ? o->last : o->last - 1);
	if (o->n == 0) {
		pbuf_init(&o->b);
		o->off = proto_changes_begin(&o->b);
	}
	proto_changes_add(&o->b, c);
	o->n++;
	o->last = c->seq;
}

/* One live watcher's part of a commit: nw writes, nm marks. */
static void
news_push(struct news_stream *s, struct rec *const *w, size_t nw,
    const struct batch_mark *m, size_t nm, uint64_t high)
{
	struct news_out		o;
	struct proto_change	c;
	size_t			i = 0, j = 0;

	if (news_fell_behind(s))
		return;
	memset(&o, 0, sizeof o);
	o.s = s;
	while (i < nw || j < nm) {
		/* A mark at seq m goes before the writes after m. */
		if (j < nm && (i == nw || m[j].seq < w[i]->seq)) {
			c.seq = m[j].seq;
			c.what = m[j].what;
			c.wtime_ns = m[j].wtime_ns;
			c.path = "";
			c.pathlen = 0;
			j++;
		} else {
			c.path = w[i]->path;
			c.pathlen = (uint32_t)strlen(c.path);
			c.seq = w[i]->seq;
			c.what = w[i]->what;
			c.wtime_ns = w[i]->wtime_ns;
			i++;
			if (!hist_under(s->req.prefixes, s->req.nprefixes,
			    c.path, c.pathlen))
				continue;
		}
		news_out_add(&o, &c);
	}
	news_out_flush(&o, high);
	s->high = high;
}

/* A commit: what it wrote goes to every live watcher. */
static void
news_batch_cb(void *arg, struct rec *const *recs, size_t n, const char *cause)
{
	struct news		*nw = arg;
	struct news_stream	*s, *next;
	const struct batch_mark	*marks;
	struct rec *const	*written;
	size_t			 k, nm;

	(void)recs;
	(void)n;
	if (cause != NULL)
		return;
	nw->committed = index_peek_seq(nw->d->index) - 1;
	marks = batch_marks(nw->d->batch, &nm);
	/* In seq order already: the history's order (batch.c). */
	written = batch_written(nw->d->batch, &k);
	if (k == 0 && nm == 0)
		return;
	for (s = nw->watchers; s != NULL; s = next) {
		next = s->next;
		if (s->state == NEWS_LIVE)
			news_push(s, written, k, marks, nm, nw->committed);
	}
}
