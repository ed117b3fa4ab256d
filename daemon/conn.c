/*
 * One client connection (see conn.h): reads frames, checks them against
 * the protocol, answers from the index.  A query that syncs parks the
 * connection (CONN_WAIT_SYNC) until sync.c calls conn_sync_cb.
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
#include "conn.h"
#include "db.h"
#include "daemon.h"
#include "ignore.h"
#include "index.h"
#include "life.h"
#include "log.h"
#include "rescan.h"
#include "server.h"
#include "sync.h"
#include "util.h"
#include "watch.h"

enum conn_state {
	CONN_HANDSHAKE,		/* waiting for the client's version */
	CONN_READY,		/* reading requests */
	CONN_WAIT_SYNC,		/* request parked until its cookie is seen */
	CONN_CLOSING,
};

struct conn {
	uv_pipe_t		 pipe;
	struct daemon		*d;
	struct server		*srv;
	enum conn_state		 state;
	struct pbuf		 in;
	uint32_t		 parked_type;	/* QUERY or SYNC */
	uint8_t			*parked;	/* the parked payload */
	size_t			 parked_len;
	struct sync_waiter	*waiter;
	int			 close_after_write;
	int			 stop_after_write;
	unsigned		 writes;
	uv_timer_t		 idle;		/* no request for too long */
	int			 handles;	/* open: pipe, idle timer */
};

/* Scratch for unpacking a QUERY's paths (one thread, one query at a time). */
static const uint8_t	*paths[PROTO_MAX_PATHS];
static uint32_t		 lens[PROTO_MAX_PATHS];

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

struct conn *
conn_new(struct daemon *d, struct server *srv)
{
	struct conn	*c;

	c = xcalloc(1, sizeof *c);
	c->d = d;
	c->srv = srv;
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
	c->srv = NULL;
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct conn	*c = h->data;

	if (--c->handles > 0)
		return;
	if (c->srv != NULL)
		server_conn_gone(c->srv, c);
	pbuf_free(&c->in);
	free(c->parked);
	free(c);
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
	c->state = CONN_CLOSING;
	uv_close((uv_handle_t *)&c->idle, conn_close_cb);
	uv_close((uv_handle_t *)&c->pipe, conn_close_cb);	/* frees c */
}

/* Send a finished frame (the pbuf is taken over). */
static void
conn_send(struct conn *c, struct pbuf *b)
{
	struct conn_write	*w;
	uv_buf_t		 ub;
	int			 rc;

	w = xcalloc(1, sizeof *w);
	w->c = c;
	w->buf = *b;
	pbuf_init(b);
	ub = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    CONN_MAX_UNREAD) {
		log_warn("a client does not read its replies (%zu bytes"
		    " queued): closing the connection",
		    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe));
		pbuf_free(&w->buf);
		free(w);
		conn_close(c);
		return;
	}
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
	if (c->stop_after_write)
		daemon_shutdown(c->d);
	if (c->close_after_write || status != 0)
		conn_close(c);
}

/* Reply with an error; fatal errors close the connection after it. */
static void
conn_error(struct conn *c, uint32_t code, const char *msg, int fatal_err)
{
	struct pbuf	b;
	size_t		off;

	pbuf_init(&b);
	off = proto_begin(&b, PROTO_MSG_ERROR);
	pbuf_put_u32(&b, code);
	pbuf_put_str(&b, msg);
	proto_end(&b, off);
	if (fatal_err) {
		c->close_after_write = 1;
		uv_read_stop((uv_stream_t *)&c->pipe);
	}
	conn_send(c, &b);
}

static void
conn_idle_cb(uv_timer_t *h)
{
	struct conn	*c = h->data;

	log_warn("a client sent no %s for %u ms: closing the connection",
	    c->state == CONN_HANDSHAKE ? "hello" : "request",
	    c->d->idle_timeout_ms);
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

/* A RECORDS reply for the paths of a QUERY payload (already checked). */
static void
conn_answer_query(struct conn *c, const uint8_t *payload, size_t len)
{
	struct daemon		*d = c->d;
	struct proto_record	 rec;
	struct rec		*r;
	struct pbuf		 b;
	const char		*cause;
	uint32_t		 flags, state;
	size_t			 off;
	char			*path;
	int			 n, i;

	if (d->db_failed) {
		conn_error(c, PROTO_ERR_INTERNAL, d->db_cause, 0);
		return;
	}
	n = proto_unpack_query(payload, len, &flags, paths, lens, &cause);
	pbuf_init(&b);
	off = proto_begin(&b, PROTO_MSG_RECORDS);
	pbuf_put_u64(&b, index_peek_seq(d->index) - 1);
	pbuf_put_u32(&b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		path = xstrndup((const char *)paths[i], lens[i]);
		r = index_find(d->index, path);
		if (ignore_match(d->ignore, path) ||
		    watch_is_unwatched(d->watch, path))
			state = PROTO_UNWATCHED;
		else if (r != NULL && r->exists)
			state = PROTO_EXISTS;
		else
			state = PROTO_MISSING;
		rec.state = state;
		rec.seq = state != PROTO_UNWATCHED && r != NULL ? r->seq : 0;
		rec.wtime_ns = r != NULL ? r->wtime_ns : 0;
		rec.built_from = state == PROTO_EXISTS ?
		    index_built_from(r) : 0;
		proto_pack_record(&b, &rec);
		free(path);
	}
	proto_end(&b, off);
	conn_send(c, &b);
}

static void
conn_status_kv(struct pbuf *b, uint32_t *n, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*v;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) == -1)
		v = NULL;
	va_end(ap);
	pbuf_put_str(b, key);
	pbuf_put_str(b, v != NULL ? v : "");
	free(v);
	(*n)++;
}

static void
conn_answer_status(struct conn *c)
{
	struct daemon	*d = c->d;
	struct pbuf	 b;
	size_t		 off, count_at;
	uint32_t	 n = 0;

	pbuf_init(&b);
	off = proto_begin(&b, PROTO_MSG_STATUS_OK);
	count_at = b.len;
	pbuf_put_u32(&b, 0);
	conn_status_kv(&b, &n, "root", "%s", d->root);
	conn_status_kv(&b, &n, "pid", "%ld", (long)getpid());
	conn_status_kv(&b, &n, "version", "%s", DEPCHECK_VERSION);
	conn_status_kv(&b, &n, "protocol", "%d", PROTO_VERSION);
	conn_status_kv(&b, &n, "libuv", "%s", uv_version_string());
	conn_status_kv(&b, &n, "sqlite", "%s", sqlite3_libversion());
	conn_status_kv(&b, &n, "seq", "%" PRIu64,
	    index_peek_seq(d->index) - 1);
	conn_status_kv(&b, &n, "records", "%zu", index_count(d->index));
	conn_status_kv(&b, &n, "watches", "%zu", watch_count(d->watch));
	conn_status_kv(&b, &n, "unwatched", "%zu",
	    watch_unwatched_count(d->watch));
	conn_status_kv(&b, &n, "remote", "%zu", watch_remote_count(d->watch));
	conn_status_kv(&b, &n, "overflows", "%" PRIu64,
	    rescan_overflows(d->rescan));
	conn_status_kv(&b, &n, "rescans", "%" PRIu64, rescan_count(d->rescan));
	conn_status_kv(&b, &n, "last_rescan", "%" PRId64,
	    rescan_last_ns(d->rescan) / 1000000000);
	conn_status_kv(&b, &n, "database_ok", "%s",
	    d->db_failed ? "no" : "yes");
	if (d->db_failed)
		conn_status_kv(&b, &n, "database_error", "%s", d->db_cause);
	if (d->db_recovered != NULL)
		conn_status_kv(&b, &n, "database_recovered", "%s",
		    d->db_recovered);
	conn_status_kv(&b, &n, "uptime", "%" PRId64,
	    (util_now_ns() - d->started_ns) / 1000000000);
	conn_status_kv(&b, &n, "memory", "%" PRIu64, life_rss_bytes());
	conn_status_kv(&b, &n, "idle_exit", "%" PRIu64,
	    d->idle_exit_ms / 1000);
	conn_status_kv(&b, &n, "socket", "%s", d->sockpath);
	conn_status_kv(&b, &n, "database", "%s", d->dbpath);
	conn_status_kv(&b, &n, "log", "%s", d->logpath);
	b.data[count_at] = n >> 24;
	b.data[count_at + 1] = n >> 16;
	b.data[count_at + 2] = n >> 8;
	b.data[count_at + 3] = n;
	proto_end(&b, off);
	conn_send(c, &b);
}

static void
conn_reply_seq(struct conn *c, uint32_t type, uint64_t v)
{
	struct pbuf	b;
	size_t		off;

	pbuf_init(&b);
	off = proto_begin(&b, type);
	if (type != PROTO_MSG_PONG)
		pbuf_put_u64(&b, v);
	proto_end(&b, off);
	conn_send(c, &b);
}

/* Is this a well-formed RUN_DONE payload (a canonical relpath)? */
static int
conn_run_done_ok(const uint8_t *p, size_t len)
{
	struct preader	 r;
	const uint8_t	*path;
	uint32_t	 pathlen, status;
	uint64_t	 started;

	preader_init(&r, p, len);
	return (preader_bytes(&r, &path, &pathlen, PROTO_MAX_PATH) == 0 &&
	    preader_u64(&r, &started) == 0 && preader_u32(&r, &status) == 0 &&
	    preader_end(&r) == 0 && proto_relpath_ok(path, pathlen));
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
conn_record_build(struct conn *c, const uint8_t *p, size_t len)
{
	struct daemon	*d = c->d;
	struct preader	 r;
	struct rec	*rec;
	const uint8_t	*path;
	uint32_t	 pathlen, status;
	uint64_t	 started, high, old_started, old_finished;
	char		*relpath, *cause = NULL;

	/* Checked by conn_run_done_ok before it was parked. */
	preader_init(&r, p, len);
	if (preader_bytes(&r, &path, &pathlen, PROTO_MAX_PATH) != 0 ||
	    preader_u64(&r, &started) != 0 || preader_u32(&r, &status) != 0)
		fatalx("run-done payload changed while parked");
	relpath = xstrndup((const char *)path, pathlen);
	high = index_peek_seq(d->index) - 1;
	rec = index_get(d->index, relpath);
	free(relpath);
	/* A start in the future would make nothing staler: clamp it. */
	if (started > high + 1)
		started = high + 1;
	if (status != 0 && (!rec->exists || rec->seq < started)) {
		conn_reply_seq(c, PROTO_MSG_RUN_RECORDED, high);
		return;
	}
	old_started = rec->built_started;
	old_finished = rec->built_finished;
	rec->built_started = status == 0 ? started : PROTO_BUILT_FAILED;
	rec->built_finished = high;
	if (d->db_failed || db_begin(d->db) != 0 ||
	    db_put_build(d->db, rec) != 0 || db_commit(d->db, &cause) != 0) {
		db_rollback(d->db);
		rec->built_started = old_started;
		rec->built_finished = old_finished;
		if (cause == NULL)
			xasprintf(&cause, "cannot record the build: %s",
			    d->db_failed ? d->db_cause : db_errmsg(d->db));
		conn_error(c, PROTO_ERR_INTERNAL, cause, 0);
		free(cause);
		return;
	}
	conn_reply_seq(c, PROTO_MSG_RUN_RECORDED, high);
}

static void
conn_sync_cb(void *arg, const char *cause)
{
	struct conn	*c = arg;

	c->waiter = NULL;
	if (cause != NULL)
		conn_error(c, PROTO_ERR_SYNC, cause, 0);
	else if (c->parked_type == PROTO_MSG_QUERY)
		conn_answer_query(c, c->parked, c->parked_len);
	else if (c->parked_type == PROTO_MSG_RUN_DONE)
		conn_record_build(c, c->parked, c->parked_len);
	else
		conn_reply_seq(c, PROTO_MSG_SYNC_OK,
		    index_peek_seq(c->d->index) - 1);
	free(c->parked);
	c->parked = NULL;
	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_READY;
	conn_idle_arm(c);
	uv_read_start((uv_stream_t *)&c->pipe, conn_alloc_cb, conn_read_cb);
	conn_parse(c);
}

static void
conn_park(struct conn *c, uint32_t type, const uint8_t *p, size_t len)
{
	/* Nothing left to wait for: answer now (sync.c, sync_now). */
	if (sync_now(c->d->sync)) {
		if (type == PROTO_MSG_QUERY)
			conn_answer_query(c, p, len);
		else if (type == PROTO_MSG_RUN_DONE)
			conn_record_build(c, p, len);
		else
			conn_reply_seq(c, PROTO_MSG_SYNC_OK,
			    index_peek_seq(c->d->index) - 1);
		return;
	}
	c->state = CONN_WAIT_SYNC;
	c->parked_type = type;
	c->parked = xmalloc(len);
	if (len != 0)
		memcpy(c->parked, p, len);
	c->parked_len = len;
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_timer_stop(&c->idle);	/* the wait is ours, not the client's */
	c->waiter = sync_request(c->d->sync, conn_sync_cb, c);
}

static void
conn_hello(struct conn *c, const uint8_t *p, size_t len)
{
	struct preader	 r;
	struct pbuf	 b;
	const uint8_t	*name;
	uint32_t	 version, namelen;
	size_t		 off;
	char		*msg;

	preader_init(&r, p, len);
	if (preader_u32(&r, &version) != 0 ||
	    preader_bytes(&r, &name, &namelen, 256) != 0 ||
	    preader_end(&r) != 0) {
		log_warn("malformed hello: closing the connection");
		conn_error(c, PROTO_ERR_MALFORMED, "malformed hello", 1);
		return;
	}
	if (version != PROTO_VERSION) {
		xasprintf(&msg, "daemon speaks protocol %d, this client %u"
		    " (run: depcheck stop; depcheck start)", PROTO_VERSION,
		    version);
		log_warn("%s", msg);
		conn_error(c, PROTO_ERR_VERSION, msg, 1);
		free(msg);
		return;
	}
	pbuf_init(&b);
	off = proto_begin(&b, PROTO_MSG_HELLO_OK);
	pbuf_put_u32(&b, PROTO_VERSION);
	pbuf_put_u64(&b, (uint64_t)getpid());
	pbuf_put_str(&b, c->d->root);
	proto_end(&b, off);
	conn_send(c, &b);
	c->state = CONN_READY;
}

static void
conn_dispatch(struct conn *c, uint32_t type, const uint8_t *p, size_t len)
{
	const char		*cause;
	uint32_t		 flags;
	char			*msg;

	log_debug("request %s (%zu bytes)", proto_msg_name(type), len);
	life_activity(c->d->life);
	if (c->state == CONN_HANDSHAKE) {
		if (type != PROTO_MSG_HELLO) {
			log_warn("%s before hello: closing the connection",
			    proto_msg_name(type));
			conn_error(c, PROTO_ERR_STATE, "expected hello", 1);
			return;
		}
		conn_hello(c, p, len);
		return;
	}
	switch (type) {
	case PROTO_MSG_QUERY:
		if (proto_unpack_query(p, len, &flags, paths, lens,
		    &cause) == -1) {
			log_warn("malformed query: %s", cause);
			conn_error(c, PROTO_ERR_MALFORMED, cause, 1);
		} else if (flags & PROTO_QUERY_SYNC)
			conn_park(c, type, p, len);
		else
			conn_answer_query(c, p, len);
		break;
	case PROTO_MSG_SYNC:
		conn_park(c, type, p, len);
		break;
	case PROTO_MSG_RUN_DONE:
		if (conn_run_done_ok(p, len))
			conn_park(c, type, p, len);
		else {
			log_warn("malformed run-done: closing the connection");
			conn_error(c, PROTO_ERR_MALFORMED, "malformed run-done",
			    1);
		}
		break;
	case PROTO_MSG_PING:
		conn_reply_seq(c, PROTO_MSG_PONG, 0);
		break;
	case PROTO_MSG_STATUS:
		conn_answer_status(c);
		break;
	case PROTO_MSG_STOP:
		log_info("stop requested");
		c->stop_after_write = 1;
		conn_reply_seq(c, PROTO_MSG_STOP_OK, (uint64_t)getpid());
		break;
	default:
		xasprintf(&msg, "unknown request %u", type);
		log_warn("%s", msg);
		conn_error(c, PROTO_ERR_UNKNOWN, msg, 0);
		free(msg);
		break;
	}
}

/* Handle every complete frame in the input buffer. */
static void
conn_parse(struct conn *c)
{
	const char	*cause;
	uint32_t	 type, len;
	size_t		 used;

	while (c->state == CONN_HANDSHAKE || c->state == CONN_READY) {
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
		if (c->state != CONN_CLOSING)
			conn_idle_arm(c);
		conn_dispatch(c, type, c->in.data + PROTO_HDR_LEN, len);
		used = PROTO_HDR_LEN + len;
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
	}
}
