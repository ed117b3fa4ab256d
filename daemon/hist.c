/*
 * The history read in the thread pool (see hist.h).  Each work item steps
 * the query until a CHANGES frame is full; the loop hands the frame on
 * and asks for the next once it went out.  The first item opens the
 * connection and a read transaction, reads the database's id and where
 * its history begins in that snapshot, and picks the query; the last
 * closes it.  The work runs on one item at a time, so the connection
 * (sqlite's serialized mode) is never used by two threads at once.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <uv.h>

#include "xmalloc.h"
#include "hist.h"
#include "log.h"

struct hist {
	uv_work_t	 work;
	uv_loop_t	*loop;
	char		*dbpath;
	struct hist_req	 req;
	hist_fn		 fn;
	void		*arg;
	int		 busy;		/* an item is in the pool */
	int		 in_cb;		/* the callback runs */
	int		 cancelled;

	/* The worker's, while busy; the loop reads them after. */
	sqlite3		*conn;
	sqlite3_stmt	*stmt;
	struct hist_end	 end;
	struct pbuf	 frame;		/* NULL data: nothing this time */
	int		 done;
	char		*cause;
};

/* Each path once, at its last write up to ?2; no entry, not the root. */
static const char hist_sql_since[] =
    "SELECT path, max(seq), what, wtime_ns FROM history"
    " WHERE seq > ?1 AND seq <= ?2 AND what < 16 AND path <> x''"
    " GROUP BY path ORDER BY 2, path";
/* Every path that exists, for a fresh answer. */
static const char hist_sql_fresh[] =
    "SELECT path, seq, 5, wtime_ns FROM record"
    " WHERE present = 1 AND seq <= ?2 AND path <> x''"
    " AND depcheck_under(path, 0) ORDER BY seq, path";
/* Every write, start and rescan, in the order they were written. */
static const char hist_sql_replay[] =
    "SELECT path, seq, what, wtime_ns FROM history"
    " WHERE seq > ?1 AND seq <= ?2 AND (what < 16 OR what >= 32)"
    " AND depcheck_under(path, what) ORDER BY seq, rowid";
static const char hist_sql_log_all[] =
    "SELECT path, seq, what, wtime_ns FROM history"
    " WHERE depcheck_under(path, what) ORDER BY seq, rowid";
static const char hist_sql_log_last[] =
    "SELECT path, seq, what, wtime_ns FROM (SELECT rowid AS r, * FROM"
    " history WHERE depcheck_under(path, what) ORDER BY seq DESC, rowid DESC"
    " LIMIT ?3) ORDER BY seq, r";

int
hist_under(char *const *prefixes, size_t n, const char *path, size_t len)
{
	size_t	i, plen;

	if (n == 0)
		return (1);
	for (i = 0; i < n; i++) {
		plen = strlen(prefixes[i]);
		if (plen == 0)
			return (1);
		if (len >= plen && memcmp(path, prefixes[i], plen) == 0 &&
		    (len == plen || path[plen] == '/'))
			return (1);
	}
	return (0);
}

/*
 * depcheck_under(path, what): hist_under for the query; a start or a
 * rescan (no path) is under every path, the root's own writes only under
 * the root.
 */
static void
hist_sql_under(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hist	*h = sqlite3_user_data(ctx);
	const char	*path = sqlite3_value_blob(argv[0]);
	size_t		 len = (size_t)sqlite3_value_bytes(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, sqlite3_value_int(argv[1]) >= PROTO_START ||
	    hist_under(h->req.prefixes, h->req.nprefixes,
	    path != NULL ? path : "", len));
}

static int64_t
hist_meta(sqlite3 *conn, const char *key, int64_t dflt)
{
	sqlite3_stmt	*s;
	int64_t		 v = dflt;

	if (sqlite3_prepare_v2(conn, "SELECT value FROM meta WHERE key = ?1",
	    -1, &s, NULL) != SQLITE_OK)
		return (dflt);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (v);
}

/* Open, begin the snapshot, choose the query.  -1 with h->cause. */
static int
hist_open(struct hist *h)
{
	const struct hist_req	*q = &h->req;
	const char		*sql;

	if (sqlite3_open_v2(h->dbpath, &h->conn, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_busy_timeout(h->conn, 5000);
	if (sqlite3_create_function(h->conn, "depcheck_under", 2,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, h, hist_sql_under, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(h->conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return (-1);
	h->end.db_id = (uint64_t)hist_meta(h->conn, "db_id", 0);
	h->end.history_from = (uint64_t)hist_meta(h->conn, "history_from", 0);
	if (q->kind == HIST_LOG)
		sql = q->max == 0 ? hist_sql_log_all : hist_sql_log_last;
	else if (q->db_id != h->end.db_id || q->from < h->end.history_from ||
	    q->from > q->to) {
		h->end.fresh = 1;
		sql = hist_sql_fresh;
	} else
		sql = q->kind == HIST_SINCE ? hist_sql_since : hist_sql_replay;
	if (sqlite3_prepare_v2(h->conn, sql, -1, &h->stmt, NULL) != SQLITE_OK)
		return (-1);
	/* A parameter the statement does not have is ignored. */
	sqlite3_bind_int64(h->stmt, 1, (int64_t)q->from);
	sqlite3_bind_int64(h->stmt, 2, (int64_t)q->to);
	if (sql == hist_sql_log_last)
		sqlite3_bind_int64(h->stmt, 3, (int64_t)q->max);
	return (0);
}

static void
hist_close(struct hist *h)
{
	sqlite3_finalize(h->stmt);
	h->stmt = NULL;
	sqlite3_close(h->conn);		/* a read: ends with the connection */
	h->conn = NULL;
}

/* One frame: step until it is full or the query is done. */
static void
hist_work(uv_work_t *w)
{
	struct hist		*h = w->data;
	struct proto_change	 c;
	size_t			 off;
	uint32_t		 n = 0;
	int			 rc = SQLITE_ROW;

	if (h->conn == NULL && hist_open(h) != 0) {
		xasprintf(&h->cause, "cannot read the history in '%s': %s",
		    h->dbpath, h->conn != NULL ? sqlite3_errmsg(h->conn) :
		    "out of memory");
		hist_close(h);
		return;
	}
	pbuf_init(&h->frame);
	off = proto_changes_begin(&h->frame);
	while (h->frame.len - off < HIST_FRAME &&
	    (rc = sqlite3_step(h->stmt)) == SQLITE_ROW) {
		c.path = sqlite3_column_blob(h->stmt, 0);
		c.pathlen = (uint32_t)sqlite3_column_bytes(h->stmt, 0);
		c.seq = (uint64_t)sqlite3_column_int64(h->stmt, 1);
		c.what = (uint32_t)sqlite3_column_int(h->stmt, 2);
		c.wtime_ns = sqlite3_column_int64(h->stmt, 3);
		/* Rows no daemon writes (a hand-edited file) are skipped. */
		if (c.path == NULL)
			c.path = "";
		if (!proto_what_ok(c.what) || c.pathlen > PROTO_MAX_PATH ||
		    (c.pathlen > 0 && !proto_relpath_ok((const uint8_t *)
		    c.path, c.pathlen)))
			continue;
		proto_changes_add(&h->frame, &c);
		n++;
	}
	if (n > 0)
		proto_changes_end(&h->frame, off, n);
	else
		pbuf_free(&h->frame);
	if (rc == SQLITE_ROW)
		return;
	if (rc != SQLITE_DONE)
		xasprintf(&h->cause, "cannot read the history in '%s': %s",
		    h->dbpath, sqlite3_errmsg(h->conn));
	h->done = 1;
	hist_close(h);
}

static void
hist_free(struct hist *h)
{
	size_t	i;

	if (h->conn != NULL)
		hist_close(h);
	pbuf_free(&h->frame);
	for (i = 0; i < h->req.nprefixes; i++)
		free(h->req.prefixes[i]);
	free(h->req.prefixes);
	free(h->cause);
	free(h->dbpath);
	free(h);
}

static void	 hist_after(uv_work_t *, int);

static void
hist_queue(struct hist *h)
{
	int	rc;

	h->busy = 1;
	/* It fails only for a work callback that is NULL. */
	if ((rc = uv_queue_work(h->loop, &h->work, hist_work,
	    hist_after)) != 0)
		fatalx("uv_queue_work: %s", uv_strerror(rc));
}

static void
hist_after(uv_work_t *w, int status)
{
	struct hist	*h = w->data;
	struct pbuf	 frame;

	(void)status;
	h->busy = 0;
	if (!h->cancelled && h->frame.data != NULL) {
		frame = h->frame;
		pbuf_init(&h->frame);
		h->in_cb = 1;
		h->fn(h->arg, &frame, NULL, NULL);
		h->in_cb = 0;
		if (!h->done && !h->cancelled)
			return;		/* hist_next */
	} else if (!h->cancelled && !h->done && h->cause == NULL) {
		hist_queue(h);		/* every row skipped: on */
		return;
	}
	if (h->busy)
		return;			/* cancelled: the pool frees it */
	if (!h->cancelled) {
		h->in_cb = 1;
		if (h->cause != NULL)
			h->fn(h->arg, NULL, NULL, h->cause);
		else
			h->fn(h->arg, NULL, &h->end, NULL);
	}
	hist_free(h);
}

struct hist *
hist_start(uv_loop_t *loop, const char *dbpath, const struct hist_req *req,
    hist_fn fn, void *arg)
{
	struct hist	*h;
	size_t		 i;

	h = xcalloc(1, sizeof *h);
	h->work.data = h;
	h->loop = loop;
	h->dbpath = xstrdup(dbpath);
	h->req = *req;
	h->req.prefixes = NULL;
	if (req->nprefixes > 0) {
		h->req.prefixes = xreallocarray(NULL, req->nprefixes,
		    sizeof *h->req.prefixes);
		for (i = 0; i < req->nprefixes; i++)
			h->req.prefixes[i] = xstrdup(req->prefixes[i]);
	}
	h->fn = fn;
	h->arg = arg;
	pbuf_init(&h->frame);
	hist_queue(h);
	return (h);
}

void
hist_next(struct hist *h)
{
	if (h->busy || h->done)
		return;
	hist_queue(h);
}

void
hist_cancel(struct hist *h)
{
	if (h == NULL)
		return;
	h->cancelled = 1;
	if (!h->busy && !h->in_cb)
		hist_free(h);
}
