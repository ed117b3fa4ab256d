/*
 * One client connection (see conn.h): reads frames, finds each request
 * in conn_reqs (the dispatch table), unpacks it with its codec and
 * answers from the index.  A request that syncs parks the connection
 * (CONN_WAIT_SYNC) until sync.c calls conn_sync_cb.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "proto.h"
#include "xmalloc.h"
#include "batch.h"
#include "conn.h"
#include "db.h"
#include "daemon.h"
#include "ignore.h"
#include "index.h"
#include "life.h"
#include "log.h"
#include "news.h"
#include "publish.h"
#include "rescan.h"
#include "stamp.h"
#include "sync.h"
#include "util.h"
#include "watch.h"

enum conn_state {
	CONN_HANDSHAKE,		/* waiting for the client's version */
	CONN_READY,		/* reading requests */
	CONN_WAIT_SYNC,		/* request parked until its cookie is seen */
	CONN_STREAMING,		/* a since or log answer goes out */
	CONN_SUBSCRIBED,	/* the daemon pushes; no idle timeout */
	CONN_CLOSING,
};

/* A QUERY, unpacked: its paths point into the frame. */
struct conn_query {
	uint32_t		 flags;
	uint32_t		 n;
	const uint8_t		**paths;	/* c->qpaths */
	uint32_t		*lens;		/* c->qlens */
};

/* A WATCH or LOG, unpacked: its paths point into the frame. */
struct conn_paths {
	struct proto_watch	 watch;		/* LOG: flags and max only */
	uint64_t		 max;
	uint32_t		 n;
};

/* The request being answered, unpacked by its codec. */
union conn_msg {
	struct proto_hello	 hello;
	struct conn_query	 query;
	struct proto_run_done	 run_done;
	struct proto_since	 since;
	struct conn_paths	 paths;
};

struct conn {
	uv_pipe_t		 pipe;
	struct daemon		*d;
	conn_gone_cb		 gone;		/* the owner, told when freed */
	void			*gone_arg;
	enum conn_state		 state;
	struct pbuf		 in;
	const struct conn_req	*req;		/* being answered */
	union conn_msg		 msg;		/* it, unpacked */
	const uint8_t		**qpaths;	/* a QUERY's paths */
	uint32_t		*qlens;
	uint32_t		 qcap;
	struct sync_waiter	*waiter;
	struct news_stream	*stream;	/* since, log or watch */
	int			 close_after_write;
	int			 served;	/* a request past HELLO, not
						   a PING, was */
	int			 stop_after_write;
	unsigned		 writes;
	size_t			 sub_cap;	/* most bytes unsent */
	int			 overrun;	/* went past sub_cap */
	uv_timer_t		 idle;		/* no request for too long */
	int			 handles;	/* open: pipe, idle timer */
};

/*
 * Scratch for unpacking a QUERY's paths and packing its records (one
 * thread; a query that waits keeps its paths in its conn).
 */
static const uint8_t		*paths[PROTO_MAX_PATHS];
static uint32_t			 lens[PROTO_MAX_PATHS];
static struct proto_record	 recs[PROTO_MAX_PATHS];

/* When a request is answered. */
enum conn_when {
	CONN_NOW,
	CONN_SYNCED,		/* after a sync */
	CONN_IF_ASKED,		/* after a sync if its unpack says so */
};

/*
 * One request a client may send: the state it is valid in, when it is
 * answered, its unpack (the codec, into c->msg; -1 with a cause when
 * malformed, 1 when it asks for a sync) and its answer.  Adding a
 * request is a codec in proto/ and a line here.
 */
struct conn_req {
	uint32_t	 type;
	enum conn_state	 state;
	enum conn_when	 when;
	int		(*unpack)(struct conn *, const uint8_t *, size_t,
			    const char **);
	void		(*answer)(struct conn *);
};

static int	 conn_unpack_hello(struct conn *, const uint8_t *, size_t,
		     const char **);
static int	 conn_unpack_query(struct conn *, const uint8_t *, size_t,
		     const char **);
static int	 conn_unpack_run_done(struct conn *, const uint8_t *, size_t,
		     const char **);
static int	 conn_unpack_empty(struct conn *, const uint8_t *, size_t,
		     const char **);
static int	 conn_unpack_since(struct conn *, const uint8_t *, size_t,
		     const char **);
static int	 conn_unpack_watch(struct conn *, const uint8_t *, size_t,
		     const char **);
static int	 conn_unpack_log(struct conn *, const uint8_t *, size_t,
		     const char **);
static void	 conn_answer_since(struct conn *);
static void	 conn_answer_watch(struct conn *);
static void	 conn_answer_log(struct conn *);
static void	 conn_answer_hello(struct conn *);
static void	 conn_answer_query(struct conn *);
static void	 conn_answer_sync(struct conn *);
static void	 conn_answer_image(struct conn *);
static void	 conn_answer_ping(struct conn *);
static void	 conn_answer_run_done(struct conn *);
static void	 conn_answer_status(struct conn *);
static void	 conn_answer_stop(struct conn *);

static const struct conn_req conn_reqs[] = {
	{ PROTO_MSG_HELLO, CONN_HANDSHAKE, CONN_NOW, conn_unpack_hello,
	  conn_answer_hello },
	{ PROTO_MSG_QUERY, CONN_READY, CONN_IF_ASKED, conn_unpack_query,
	  conn_answer_query },
	{ PROTO_MSG_SYNC, CONN_READY, CONN_SYNCED, conn_unpack_empty,
	  conn_answer_sync },
	{ PROTO_MSG_PING, CONN_READY, CONN_NOW, conn_unpack_empty,
	  conn_answer_ping },
	{ PROTO_MSG_IMAGE, CONN_READY, CONN_SYNCED, conn_unpack_empty,
	  conn_answer_image },
	{ PROTO_MSG_RUN_DONE, CONN_READY, CONN_SYNCED, conn_unpack_run_done,
	  conn_answer_run_done },
	{ PROTO_MSG_STATUS, CONN_READY, CONN_NOW, conn_unpack_empty,
	  conn_answer_status },
	{ PROTO_MSG_STOP, CONN_READY, CONN_NOW, conn_unpack_empty,
	  conn_answer_stop },
	{ PROTO_MSG_SINCE, CONN_READY, CONN_IF_ASKED, conn_unpack_since,
	  conn_answer_since },
	{ PROTO_MSG_WATCH, CONN_READY, CONN_NOW, conn_unpack_watch,
	  conn_answer_watch },
	{ PROTO_MSG_LOG, CONN_READY, CONN_IF_ASKED, conn_unpack_log,
	  conn_answer_log },
};
#define CONN_NREQS	(sizeof conn_reqs / sizeof conn_reqs[0])

/*
 * Replies a client has not read: past this, it is not reading them, and
 * the connection goes (a client that sends forever cannot grow us).
 */
#define CONN_MAX_UNREAD		((size_t)4 * 1024 * 1024)

struct conn_write {
	uv_write_t	 req;
	struct conn	*c;
	struct pbuf	 buf;
};

static void	 conn_alloc_cb(uv_handle_t *, size_t, uv_buf_t *);
static void	 conn_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void	 conn_write_cb(uv_write_t *, int);
static void	 conn_close_cb(uv_handle_t *);
static void	 conn_sync_cb(void *, const char *);
static void	 conn_parse(struct conn *);
static void	 conn_consume(struct conn *);
static void	 conn_idle_arm(struct conn *);
static void	 conn_read_on(struct conn *);

struct conn *
conn_new(struct daemon *d, conn_gone_cb gone, void *arg)
{
	struct conn	*c;

	c = xcalloc(1, sizeof *c);
	c->d = d;
	c->gone = gone;
	c->gone_arg = arg;
	c->state = CONN_HANDSHAKE;
	pbuf_init(&c->in);
	uv_pipe_init(d->loop, &c->pipe, 0);
	c->pipe.data = c;
	uv_timer_init(d->loop, &c->idle);
	c->idle.data = c;
	c->handles = 2;
	return (c);
}

uv_stream_t *
conn_stream(struct conn *c)
{
	return ((uv_stream_t *)&c->pipe);
}

void
conn_detach(struct conn *c)
{
	c->gone = NULL;
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct conn	*c = h->data;

	if (--c->handles > 0)
		return;
	if (c->gone != NULL)
		c->gone(c->gone_arg, c);
	pbuf_free(&c->in);
	free(c->qpaths);
	free(c->qlens);
	free(c);
}

int
conn_idle_served(const struct conn *c)
{
	return (c->state == CONN_READY && c->served && c->in.len == 0 &&
	    c->writes == 0 && !c->close_after_write);
}

void
conn_close(struct conn *c)
{
	if (c->state == CONN_CLOSING)
		return;
	if (c->waiter != NULL) {
		sync_cancel(c->d->sync, c->waiter);
		c->waiter = NULL;
	}
	news_cancel(c->stream);
	c->stream = NULL;
	c->state = CONN_CLOSING;
	uv_close((uv_handle_t *)&c->idle, conn_close_cb);
	uv_close((uv_handle_t *)&c->pipe, conn_close_cb);	/* frees c */
}

/* Queue a finished frame (the pbuf is taken over), whatever is queued. */
static void
conn_write(struct conn *c, struct pbuf *b)
{
	struct conn_write	*w;
	uv_buf_t		 ub;
	int			 rc;

	w = xcalloc(1, sizeof *w);
	w->c = c;
	w->buf = *b;
	pbuf_init(b);
	ub = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
	c->writes++;
	if ((rc = uv_write(&w->req, (uv_stream_t *)&c->pipe, &ub, 1,
	    conn_write_cb)) != 0) {
		log_debug("write: %s", uv_strerror(rc));
		c->writes--;
		pbuf_free(&w->buf);
		free(w);
		conn_close(c);
	}
}

/* Send a reply (the pbuf is taken over). */
static void
conn_send(struct conn *c, struct pbuf *b)
{
	if (c->state != CONN_SUBSCRIBED && conn_unsent(c) > CONN_MAX_UNREAD) {
		log_warn("a client does not read its replies (%zu bytes"
		    " queued): closing the connection", conn_unsent(c));
		pbuf_free(b);
		conn_close(c);
		return;
	}
	conn_write(c, b);
}

size_t
conn_unsent(struct conn *c)
{
	return (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe));
}

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct conn_write	*w = (struct conn_write *)req;
	struct conn		*c = w->c;

	pbuf_free(&w->buf);
	free(w);
	c->writes--;
	if (status != 0 && status != UV_ECANCELED)
		log_debug("write: %s", uv_strerror(status));
	if (c->writes != 0 || c->state == CONN_CLOSING)
		return;
	if (c->stream != NULL && status == 0) {
		/*
		 * A stream waits for its frame to be sent, and reads on.  Its
		 * client must keep reading: a stalled answer or replay holds
		 * a database snapshot (the WAL cannot be cut back), so it
		 * goes after the idle timeout.  Live, the cap bounds it.
		 */
		if (!news_live(c->stream))
			conn_idle_arm(c);
		else if (!c->close_after_write)
			uv_timer_stop(&c->idle);
		news_sent(c->stream);
	}
	if (c->stop_after_write)
		daemon_shutdown(c->d);
	if (c->close_after_write || status != 0)
		conn_close(c);
}

/* Reply with an error; fatal errors close the connection after it. */
static void
conn_error(struct conn *c, uint32_t code, const char *msg, int fatal_err)
{
	struct proto_error	e = { code, msg, (uint32_t)strlen(msg) };
	struct pbuf		b;

	pbuf_init(&b);
	if (proto_pack_error(&b, &e) != 0)
		fatalx("error message of %zu bytes", strlen(msg));
	if (fatal_err) {
		c->close_after_write = 1;
		uv_read_stop((uv_stream_t *)&c->pipe);
	}
	if (c->state == CONN_SUBSCRIBED)
		conn_write(c, &b);	/* past the cap, but the last one */
	else
		conn_send(c, &b);
}

/*
 * A payload its codec rejected: error malformed with the codec's cause,
 * and the connection closes.  The log says which message, unless the
 * cause does ("malformed hello").
 */
static void
conn_malformed(struct conn *c, uint32_t type, const char *cause)
{
	if (strncmp(cause, "malformed ", 10) == 0)
		log_warn("%s: closing the connection", cause);
	else
		log_warn("malformed %s: %s: closing the connection",
		    proto_msg_name(type), cause);
	conn_error(c, PROTO_ERR_MALFORMED, cause, 1);
}

/* An overrun subscriber that does not read even its error goes. */
static void
conn_linger_cb(uv_timer_t *h)
{
	struct conn	*c = h->data;

	log_debug("an overrun subscriber did not read its error: closing");
	conn_close(c);
}

void
conn_subscribe(struct conn *c, size_t cap)
{
	if (c->state != CONN_READY)
		fatalx("subscribe in state %d", (int)c->state);
	c->state = CONN_SUBSCRIBED;
	c->sub_cap = cap;
	uv_timer_stop(&c->idle);	/* it may wait for news forever */
}

/*
 * The cap bounds what libuv holds for the subscriber beyond what the
 * kernel took: a frame that would pass it is dropped, and the
 * subscriber gets one ERROR overrun after what it has not read, then the
 * connection closes (tests/unit/test-conn.c).
 */
int
conn_push(struct conn *c, struct pbuf *b)
{
	size_t	unsent;

	if (c->state == CONN_CLOSING || c->overrun) {
		pbuf_free(b);
		return (-1);
	}
	if (c->state != CONN_SUBSCRIBED)
		fatalx("push to a connection in state %d", (int)c->state);
	unsent = conn_unsent(c);
	if (unsent + b->len <= c->sub_cap) {
		conn_write(c, b);
		return (0);
	}
	log_warn("a subscriber fell behind (%zu bytes unsent, cap %zu):"
	    " ending its subscription", unsent, c->sub_cap);
	pbuf_free(b);
	c->overrun = 1;
	conn_error(c, PROTO_ERR_OVERRUN, "fell behind the daemon's news"
	    " (subscribe again)", 1);
	uv_timer_start(&c->idle, conn_linger_cb, c->d->idle_timeout_ms, 0);
	return (-1);
}

static void
conn_idle_cb(uv_timer_t *h)
{
	struct conn	*c = h->data;

	/*
	 * A client that was served and holds its connection for the next
	 * request (depcheck run, while its command runs) is not at fault:
	 * it reconnects.  One that never asked anything, or stopped
	 * halfway through a frame, is.
	 */
	if (c->stream != NULL)
		log_warn("a client did not read its answer for %u ms: closing"
		    " the connection", c->d->idle_timeout_ms);
	else if (c->served && c->in.len == 0)
		log_info("a client sent no request for %u ms after its last:"
		    " closing the connection", c->d->idle_timeout_ms);
	else
		log_warn("a client sent no %s for %u ms: closing the"
		    " connection", c->state == CONN_HANDSHAKE ? "hello" :
		    "request", c->d->idle_timeout_ms);
	conn_close(c);
}

/* (Re)arm the idle timer: a whole request is due within the bound. */
static void
conn_idle_arm(struct conn *c)
{
	uv_timer_start(&c->idle, conn_idle_cb, c->d->idle_timeout_ms, 0);
}

void
conn_start(struct conn *c, int busy)
{
	if (busy) {
		log_warn("too many connections (%u): refusing one",
		    c->d->max_conns);
		conn_error(c, PROTO_ERR_BUSY, "the daemon has too many"
		    " connections (try again)", 1);
		return;
	}
	conn_idle_arm(c);
	uv_read_start((uv_stream_t *)&c->pipe, conn_alloc_cb, conn_read_cb);
}

static void
conn_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn	*c = h->data;
	size_t		 want = (size_t)64 * 1024;

	if (c->in.cap - c->in.len < want) {
		c->in.data = xrealloc(c->in.data, c->in.len + want);
		c->in.cap = c->in.len + want;
	}
	*buf = uv_buf_init((char *)c->in.data + c->in.len, (unsigned)want);
}

static void
conn_read_cb(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
	struct conn	*c = h->data;

	if (n < 0) {
		if (n != UV_EOF)
			log_debug("read: %s", uv_strerror((int)n));
		conn_close(c);
		return;
	}
	c->in.len += (size_t)n;
	conn_parse(c);
}

static int
conn_unpack_hello(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	return (proto_unpack_hello(p, len, &c->msg.hello, cause));
}

/* Keep the n paths unpacked into the scratch in c: the answer may wait. */
static void
conn_keep_paths(struct conn *c, uint32_t n)
{
	if (n > c->qcap) {
		c->qpaths = xreallocarray(c->qpaths, (size_t)n,
		    sizeof *c->qpaths);
		c->qlens = xreallocarray(c->qlens, (size_t)n,
		    sizeof *c->qlens);
		c->qcap = n;
	}
	if (n != 0) {
		memcpy(c->qpaths, paths, (size_t)n * sizeof *c->qpaths);
		memcpy(c->qlens, lens, (size_t)n * sizeof *c->qlens);
	}
}

static int
conn_unpack_query(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	struct conn_query	*q = &c->msg.query;
	int			 n;

	if ((n = proto_unpack_query(p, len, &q->flags, paths, lens,
	    cause)) == -1)
		return (-1);
	conn_keep_paths(c, (uint32_t)n);
	q->n = (uint32_t)n;
	q->paths = c->qpaths;
	q->lens = c->qlens;
	return ((q->flags & PROTO_QUERY_SYNC) ? 1 : 0);
}

static int
conn_unpack_since(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	if (proto_unpack_since(p, len, &c->msg.since, cause) != 0)
		return (-1);
	return ((c->msg.since.flags & PROTO_CHANGES_SYNC) ? 1 : 0);
}

static int
conn_unpack_watch(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	struct conn_paths	*m = &c->msg.paths;
	int			 n;

	if ((n = proto_unpack_watch(p, len, &m->watch, paths, lens,
	    cause)) == -1)
		return (-1);
	conn_keep_paths(c, (uint32_t)n);
	m->n = (uint32_t)n;
	return (0);
}

static int
conn_unpack_log(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	struct conn_paths	*m = &c->msg.paths;
	int			 n;

	memset(&m->watch, 0, sizeof m->watch);
	if ((n = proto_unpack_log(p, len, &m->watch.flags, &m->max, paths,
	    lens, cause)) == -1)
		return (-1);
	conn_keep_paths(c, (uint32_t)n);
	m->n = (uint32_t)n;
	return ((m->watch.flags & PROTO_CHANGES_SYNC) ? 1 : 0);
}

static int
conn_unpack_run_done(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	return (proto_unpack_run_done(p, len, &c->msg.run_done, cause));
}

static int
conn_unpack_empty(struct conn *c, const uint8_t *p, size_t len,
    const char **cause)
{
	return (proto_unpack_empty(c->req->type, p, len, cause));
}

/* QUERY: a RECORDS reply for its paths. */
static void
conn_answer_query(struct conn *c)
{
	const struct conn_query	*q = &c->msg.query;
	struct daemon		*d = c->d;
	struct rec		*r;
	struct pbuf		 b;
	uint32_t		 state, i;
	char			*path;

	if (d->db_failed) {
		conn_error(c, PROTO_ERR_INTERNAL, d->db_cause, 0);
		return;
	}
	for (i = 0; i < q->n; i++) {
		path = xstrndup((const char *)q->paths[i], q->lens[i]);
		r = index_find(d->index, path);
		if (ignore_match(d->ignore, path) ||
		    watch_is_unwatched(d->watch, path))
			state = PROTO_UNWATCHED;
		else if (r != NULL && r->exists)
			state = r->first ? PROTO_FIRST_SIGHT : PROTO_EXISTS;
		else
			state = PROTO_MISSING;
		recs[i].state = state;
		recs[i].seq = state != PROTO_UNWATCHED && r != NULL ?
		    r->seq : 0;
		recs[i].wtime_ns = r != NULL ? r->wtime_ns : 0;
		recs[i].built_from = state != PROTO_MISSING &&
		    state != PROTO_UNWATCHED ?
		    index_built_from(d->index, r) : 0;
		free(path);
	}
	pbuf_init(&b);
	if (proto_pack_records(&b, d->batch != NULL ? batch_high(d->batch) :
	    index_peek_seq(d->index) - 1, recs, q->n) != 0)
		fatalx("%u records in one reply", q->n);
	conn_send(c, &b);
}

/*
 * The items of a STATUS_OK: the strings are borrowed (from the daemon or
 * the libraries) and must outlive the packing.
 */
struct conn_status {
	struct proto_status_item	items[PROTO_MAX_STATUS];
	uint32_t			n;
};

static struct proto_status_item *
conn_status_add(struct conn_status *st, const char *key, uint32_t kind)
{
	struct proto_status_item	*it;

	if (st->n == PROTO_MAX_STATUS)
		fatalx("more than %d status items", PROTO_MAX_STATUS);
	it = &st->items[st->n++];
	memset(it, 0, sizeof *it);
	it->key = key;
	it->keylen = (uint32_t)strlen(key);
	it->kind = kind;
	return (it);
}

static void
conn_status_text(struct conn_status *st, const char *key, const char *v)
{
	struct proto_status_item	*it;

	it = conn_status_add(st, key, PROTO_STATUS_TEXT);
	it->text = v;
	it->textlen = (uint32_t)strlen(v);
}

static void
conn_status_u64(struct conn_status *st, const char *key, uint64_t v)
{
	conn_status_add(st, key, PROTO_STATUS_U64)->u64 = v;
}

static void
conn_status_i64(struct conn_status *st, const char *key, int64_t v)
{
	conn_status_add(st, key, PROTO_STATUS_I64)->i64 = v;
}

static void
conn_answer_status(struct conn *c)
{
	static struct conn_status	 st;
	struct daemon			*d = c->d;
	struct pbuf			 b;

	st.n = 0;
	conn_status_text(&st, "root", d->root);
	conn_status_u64(&st, "pid", (uint64_t)getpid());
	conn_status_text(&st, "version", DEPCHECK_VERSION);
	conn_status_u64(&st, "protocol", PROTO_VERSION);
	conn_status_text(&st, "libuv", uv_version_string());
	conn_status_text(&st, "sqlite", sqlite3_libversion());
	conn_status_u64(&st, "seq", index_peek_seq(d->index) - 1);
	conn_status_u64(&st, "records", index_count(d->index));
	conn_status_u64(&st, "watches", watch_count(d->watch));
	conn_status_u64(&st, "unwatched", watch_unwatched_count(d->watch));
	conn_status_u64(&st, "remote", watch_remote_count(d->watch));
	conn_status_u64(&st, "overflows", rescan_overflows(d->rescan));
	conn_status_u64(&st, "rescans", rescan_count(d->rescan));
	conn_status_u64(&st, "ties", stamp_ties(d->stamp));
	conn_status_u64(&st, "commits", batch_commits(d->batch));
	conn_status_u64(&st, "queries_early", batch_early(d->batch));
	conn_status_u64(&st, "watchers", news_watchers(d->news));
	/* Made when exec first asks (publish_open). */
	conn_status_text(&st, "image", publish_state(d));
	conn_status_u64(&st, "image_entries", publish_entries(d->publish));
	conn_status_u64(&st, "history_from", db_history_from(d->db));
	conn_status_u64(&st, "history_max", d->history_max);
	conn_status_u64(&st, "history_rows", db_history_rows(d->db));
	conn_status_u64(&st, "syncs_at_once", sync_counts(d->sync)->at_once);
	conn_status_u64(&st, "syncs_drained", sync_counts(d->sync)->drained);
	conn_status_u64(&st, "syncs_cookie", sync_counts(d->sync)->cookies);
	conn_status_i64(&st, "last_rescan",
	    rescan_last_ns(d->rescan) / 1000000000);
	conn_status_text(&st, "database_ok", d->db_failed ? "no" : "yes");
	if (d->db_failed)
		conn_status_text(&st, "database_error", d->db_cause);
	if (d->db_recovered != NULL)
		conn_status_text(&st, "database_recovered", d->db_recovered);
	conn_status_i64(&st, "uptime",
	    (util_now_ns() - d->started_ns) / 1000000000);
	conn_status_u64(&st, "memory", life_rss_bytes());
	conn_status_u64(&st, "idle_exit", d->idle_exit_ms / 1000);
	conn_status_text(&st, "socket", d->sockpath);
	conn_status_text(&st, "database", d->dbpath);
	conn_status_text(&st, "log", d->logpath);
	pbuf_init(&b);
	if (proto_pack_status_ok(&b, st.items, st.n) != 0)
		fatalx("status reply does not fit a message");
	conn_send(c, &b);
}

/* A reply whose payload is one u64. */
static void
conn_reply_value(struct conn *c, uint32_t type, uint64_t v)
{
	struct pbuf	b;

	pbuf_init(&b);
	proto_pack_value(&b, type, v);
	conn_send(c, &b);
}

static void
conn_answer_ping(struct conn *c)
{
	struct pbuf	b;

	pbuf_init(&b);
	proto_pack_empty(&b, PROTO_MSG_PONG);
	conn_send(c, &b);
}

static void
conn_answer_sync(struct conn *c)
{
	conn_reply_value(c, PROTO_MSG_SYNC_OK,
	    index_peek_seq(c->d->index) - 1);
}

/* A sync that also makes sure the image for exec is published. */
static void
conn_answer_image(struct conn *c)
{
	char	*cause;

	if (publish_open(c->d, &cause) != 0) {
		conn_error(c, PROTO_ERR_INTERNAL, cause, 0);
		free(cause);
		return;
	}
	conn_answer_sync(c);
}

static void
conn_answer_stop(struct conn *c)
{
	log_info("stop requested");
	c->stop_after_write = 1;
	conn_reply_value(c, PROTO_MSG_STOP_OK, (uint64_t)getpid());
}

/*
 * The sink of a since, log or watch stream (news.h): frames go out as
 * they come (news.c keeps a watcher within its cap and waits for a
 * frame to go before reading the next).
 */
static size_t
conn_sink_room(void *arg)
{
	struct conn	*c = arg;
	size_t		 unsent = conn_unsent(c);

	return (unsent >= c->sub_cap ? 0 : c->sub_cap - unsent);
}

static void
conn_sink_push(void *arg, struct pbuf *b)
{
	struct conn	*c = arg;

	if (!news_live(c->stream))
		conn_idle_arm(c);	/* see conn_write_cb */
	conn_write(c, b);
}

static void
conn_sink_finish(void *arg, struct pbuf *b, int close)
{
	struct conn	*c = arg;

	conn_write(c, b);
	if (close) {
		c->close_after_write = 1;
		uv_read_stop((uv_stream_t *)&c->pipe);
		uv_timer_start(&c->idle, conn_linger_cb,
		    c->d->idle_timeout_ms, 0);
		return;
	}
	news_cancel(c->stream);
	c->stream = NULL;
	conn_read_on(c);
}

static void
conn_sink_fail(void *arg, const char *cause)
{
	struct conn	*c = arg;

	if (c->state == CONN_SUBSCRIBED) {
		conn_error(c, PROTO_ERR_INTERNAL, cause, 1);
		return;
	}
	news_cancel(c->stream);
	c->stream = NULL;
	conn_error(c, PROTO_ERR_INTERNAL, cause, 0);
	conn_read_on(c);
}

static void
conn_sink(struct conn *c, struct news_sink *k)
{
	k->arg = c;
	k->room = conn_sink_room;
	k->push = conn_sink_push;
	k->finish = conn_sink_finish;
	k->fail = conn_sink_fail;
}

/* The paths of a WATCH or LOG, as strings (free with conn_free_paths). */
static char **
conn_dup_paths(struct conn *c, uint32_t n)
{
	char		**v;
	uint32_t	  i;

	v = xreallocarray(NULL, n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = xstrndup((const char *)c->qpaths[i], c->qlens[i]);
	v[n] = NULL;
	return (v);
}

static void
conn_free_paths(char **v)
{
	char	**p;

	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* Can the history be read?  If the database fails, say why. */
static int
conn_db_ok(struct conn *c)
{
	if (!c->d->db_failed)
		return (1);
	conn_error(c, PROTO_ERR_INTERNAL, c->d->db_cause, 0);
	return (0);
}

/*
 * A since or log answer streams: no request is read until it is out,
 * and a client that stops reading it is closed after the idle timeout.
 */
static void
conn_stream_start(struct conn *c)
{
	c->state = CONN_STREAMING;
	uv_read_stop((uv_stream_t *)&c->pipe);
	conn_idle_arm(c);
}

static void
conn_answer_since(struct conn *c)
{
	struct news_sink	k;

	if (!conn_db_ok(c))
		return;
	conn_sink(c, &k);
	conn_stream_start(c);
	c->stream = news_since(c->d->news, &k, c->msg.since.db_id,
	    c->msg.since.seq);
}

static void
conn_answer_log(struct conn *c)
{
	struct conn_paths	*m = &c->msg.paths;
	struct news_sink	 k;
	char			**v;

	if (!conn_db_ok(c))
		return;
	conn_sink(c, &k);
	conn_stream_start(c);
	v = conn_dup_paths(c, m->n);
	c->stream = news_log(c->d->news, &k, m->max, v, m->n);
	conn_free_paths(v);
}

static void
conn_answer_watch(struct conn *c)
{
	struct conn_paths	*m = &c->msg.paths;
	struct news_sink	 k;
	char			**v;

	if (!conn_db_ok(c))
		return;
	conn_sink(c, &k);
	conn_subscribe(c, CONN_SUB_CAP);
	v = conn_dup_paths(c, m->n);
	c->stream = news_watch(c->d->news, &k, (m->watch.flags &
	    PROTO_WATCH_SINCE) != 0, m->watch.db_id, m->watch.seq, v, m->n);
	conn_free_paths(v);
}

/*
 * RUN_DONE: a recipe run by "depcheck run" ended.  Its writes have been
 * seen (this runs after a sync).  If it succeeded, record that the
 * target's current content was built from what existed before seq
 * started.  If it failed after writing the target, record that, so that
 * no dependency counts as older than what it left (PROTO_BUILT_FAILED);
 * if it failed without writing it, the earlier record stands.
 */
static void
conn_answer_run_done(struct conn *c)
{
	const struct proto_run_done	*m = &c->msg.run_done;
	struct daemon			*d = c->d;
	struct rec			*rec;
	uint32_t			 status = m->status;
	uint64_t			 started = m->started, high;
	uint64_t			 old_started, old_finished;
	char				*relpath, *cause = NULL;

	relpath = xstrndup(m->target, m->targetlen);
	high = index_peek_seq(d->index) - 1;
	rec = index_get(d->index, relpath);
	free(relpath);
	/* A start in the future would make nothing staler: clamp it. */
	if (started > high + 1)
		started = high + 1;
	if (status != 0 && (!rec->exists || rec->seq < started)) {
		conn_reply_value(c, PROTO_MSG_RUN_RECORDED, high);
		return;
	}
	index_get_built(d->index, rec, &old_started, &old_finished);
	started = status == 0 ? started : PROTO_BUILT_FAILED;
	index_set_built(d->index, rec, started, high);
	/* In the history: a build from started to high, or a failure. */
	if (d->db_failed || db_begin(d->db) != 0 ||
	    db_put_build(d->db, rec, started, high) != 0 ||
	    (status == 0 && db_add_entry(d->db, started, PROTO_BUILD_START,
	    rec->path, util_now_ns()) != 0) ||
	    db_add_entry(d->db, high, status == 0 ? PROTO_BUILD_END :
	    PROTO_BUILD_FAILED, rec->path, util_now_ns()) != 0 ||
	    db_commit(d->db, &cause) != 0) {
		db_rollback(d->db);
		index_set_built(d->index, rec, old_started, old_finished);
		if (cause == NULL)
			xasprintf(&cause, "cannot record the build of '%s':"
			    " %s", rec->path, d->db_failed ? d->db_cause :
			    db_errmsg(d->db));
		conn_error(c, PROTO_ERR_INTERNAL, cause, 0);
		free(cause);
		return;
	}
	conn_reply_value(c, PROTO_MSG_RUN_RECORDED, high);
}

/*
 * Does every path of c's QUERY have its record committed (or none)?  Its
 * answer then carries no seq that waits for the group commit: the
 * records' seqs are committed, and the high-water seq is the committed
 * one (batch_high).
 */
static int
conn_query_committed(struct conn *c)
{
	const struct conn_query	*q = &c->msg.query;
	struct rec		*r;
	uint32_t		 i;
	char			*path;

	for (i = 0; i < q->n; i++) {
		path = xstrndup((const char *)q->paths[i], q->lens[i]);
		r = index_find(c->d->index, path);
		free(path);
		if (r != NULL && r->dirty)
			return (0);
	}
	return (1);
}

/*
 * Before an answer, commit what waits for the group commit: no reply
 * carries an uncommitted seq.  A QUERY none of whose records waits need
 * not: under a writer, the check of a build's target and prerequisites
 * does not wait for a transaction of other files (issue 11).
 */
static void
conn_commit_for(struct conn *c)
{
	struct batch	*b = c->d->batch;

	if (!batch_waiting(b))
		return;
	if (c->req->type == PROTO_MSG_QUERY && !c->d->db_failed &&
	    conn_query_committed(c)) {
		batch_count_early(b);
		return;
	}
	batch_flush(b);
}

/*
 * The cookie of a parked request was seen (or the sync failed): answer
 * it, drop its frame, and read on.
 */
static void
conn_sync_cb(void *arg, const char *cause)
{
	struct conn	*c = arg;

	c->waiter = NULL;
	if (cause != NULL)
		conn_error(c, PROTO_ERR_SYNC, cause, 0);
	else {
		conn_commit_for(c);
		c->req->answer(c);
	}
	c->req = NULL;
	if (c->state == CONN_CLOSING)
		return;
	conn_consume(c);
	if (c->state == CONN_WAIT_SYNC)
		conn_read_on(c);
}

/* Read and answer requests again (after a wait or a stream). */
static void
conn_read_on(struct conn *c)
{
	c->state = CONN_READY;
	conn_idle_arm(c);
	uv_read_start((uv_stream_t *)&c->pipe, conn_alloc_cb, conn_read_cb);
	conn_parse(c);
}

/*
 * Wait for a sync before answering.  The frame stays at the head of
 * c->in, where c->msg points, and reading stops until conn_sync_cb.
 */
static void
conn_park(struct conn *c)
{
	c->state = CONN_WAIT_SYNC;
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_timer_stop(&c->idle);	/* the wait is ours, not the client's */
	c->waiter = sync_request(c->d->sync, conn_sync_cb, c);
}

static void
conn_answer_hello(struct conn *c)
{
	const struct proto_hello	*m = &c->msg.hello;
	struct proto_hello_ok		 ok;
	struct pbuf			 b;
	char				*msg;

	if (m->version != PROTO_VERSION) {
		xasprintf(&msg, "daemon speaks protocol %d, this client %u"
		    " (run: depcheck stop; depcheck start)", PROTO_VERSION,
		    m->version);
		log_warn("%s", msg);
		conn_error(c, PROTO_ERR_VERSION, msg, 1);
		free(msg);
		return;
	}
	ok.version = PROTO_VERSION;
	ok.pid = (uint64_t)getpid();
	ok.root = c->d->root;
	ok.rootlen = (uint32_t)strlen(c->d->root);
	pbuf_init(&b);
	if (proto_pack_hello_ok(&b, &ok) != 0)
		fatalx("root of %u bytes", ok.rootlen);
	conn_send(c, &b);
	c->state = CONN_READY;
}

/*
 * A request that is not valid in this state: before HELLO, or from a
 * subscriber, anything closes the connection; after HELLO, a type that
 * is no request here is unknown, and the connection stays.
 */
static void
conn_misplaced(struct conn *c, uint32_t type)
{
	char	*msg;

	if (c->state == CONN_HANDSHAKE) {
		log_warn("%s before hello: closing the connection",
		    proto_msg_name(type));
		conn_error(c, PROTO_ERR_STATE, "expected hello", 1);
		return;
	}
	if (c->state == CONN_SUBSCRIBED) {
		log_warn("%s from a subscriber: closing the connection",
		    proto_msg_name(type));
		conn_error(c, PROTO_ERR_STATE, "a subscriber sends no"
		    " requests", 1);
		return;
	}
	xasprintf(&msg, "unknown request %u", type);
	log_warn("%s", msg);
	conn_error(c, PROTO_ERR_UNKNOWN, msg, 0);
	free(msg);
}

static void
conn_dispatch(struct conn *c, uint32_t type, const uint8_t *p, size_t len)
{
	const struct conn_req	*req = NULL;
	const char		*cause;
	size_t			 i;
	int			 rc;

	log_debug("request %s (%zu bytes)", proto_msg_name(type), len);
	life_activity(c->d->life);
	for (i = 0; i < CONN_NREQS; i++) {
		if (conn_reqs[i].type == type &&
		    conn_reqs[i].state == c->state)
			req = &conn_reqs[i];
	}
	if (req == NULL) {
		conn_misplaced(c, type);
		return;
	}
	c->req = req;
	/* A PING keeps a connection open; it is not a request served. */
	if (type != PROTO_MSG_HELLO && type != PROTO_MSG_PING)
		c->served = 1;
	if ((rc = req->unpack(c, p, len, &cause)) == -1) {
		conn_malformed(c, type, cause);
		c->req = NULL;
		return;
	}
	/*
	 * Nothing left to wait for: answer now (sync.c, sync_now), but
	 * never with a seq that is not committed (batch.c, group commit).
	 */
	if (req->when == CONN_NOW || (req->when == CONN_IF_ASKED &&
	    rc == 0) || sync_now(c->d->sync)) {
		conn_commit_for(c);
		req->answer(c);
		c->req = NULL;
		return;
	}
	conn_park(c);
}

/* Drop the frame at the head of the input buffer. */
static void
conn_consume(struct conn *c)
{
	uint32_t	 type, len;
	const char	*cause;
	size_t		 used;

	if (proto_unpack_header(c->in.data, &type, &len, &cause) != 0)
		fatalx("a dispatched frame is %u bytes long", len);
	used = PROTO_HDR_LEN + len;
	memmove(c->in.data, c->in.data + used, c->in.len - used);
	c->in.len -= used;
}

/* Handle every complete frame in the input buffer. */
static void
conn_parse(struct conn *c)
{
	const char	*cause;
	uint32_t	 type, len;

	while (c->state == CONN_HANDSHAKE || c->state == CONN_READY ||
	    c->state == CONN_SUBSCRIBED) {
		if (c->close_after_write || c->in.len < PROTO_HDR_LEN)
			return;
		if (proto_unpack_header(c->in.data, &type, &len,
		    &cause) != 0) {
			log_warn("%s (%u bytes): closing the connection",
			    cause, len);
			conn_error(c, PROTO_ERR_MALFORMED, cause, 1);
			return;
		}
		if (c->in.len < PROTO_HDR_LEN + len)
			return;
		if (c->state != CONN_SUBSCRIBED)
			conn_idle_arm(c);
		conn_dispatch(c, type, c->in.data + PROTO_HDR_LEN, len);
		if (c->state == CONN_WAIT_SYNC)
			return;	/* the frame stays: conn_sync_cb */
		conn_consume(c);
	}
}
