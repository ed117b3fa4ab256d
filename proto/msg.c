/*
 * One codec per message of proto.h: pack a whole frame, unpack a payload
 * exactly.  Linked into depcheckd, depcheck, the preload library and the
 * fuzzer; no other file packs or parses a payload.  Every unpack checks a
 * length before it uses it and bytes left over are malformed: bytes from
 * a socket are never trusted.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* The payload shapes shared by several messages. */
enum msg_shape {
	MSG_OWN,		/* a codec of its own */
	MSG_EMPTY,		/* nothing */
	MSG_VALUE,		/* one u64 */
};

/*
 * Every message: its name for logs and, for the shared shapes, the cause
 * given when a payload is not of that shape.
 */
static const struct msg_kind {
	const char	*name;
	const char	*bad;
	uint32_t	 type;
	enum msg_shape	 shape;
} msg_kinds[] = {
	{ "hello", NULL, PROTO_MSG_HELLO, MSG_OWN },
	{ "hello-ok", NULL, PROTO_MSG_HELLO_OK, MSG_OWN },
	{ "query", NULL, PROTO_MSG_QUERY, MSG_OWN },
	{ "records", NULL, PROTO_MSG_RECORDS, MSG_OWN },
	{ "sync", "sync has a payload", PROTO_MSG_SYNC, MSG_EMPTY },
	{ "sync-ok", "sync-ok is not one u64", PROTO_MSG_SYNC_OK, MSG_VALUE },
	{ "ping", "ping has a payload", PROTO_MSG_PING, MSG_EMPTY },
	{ "pong", "pong has a payload", PROTO_MSG_PONG, MSG_EMPTY },
	{ "image", "image has a payload", PROTO_MSG_IMAGE, MSG_EMPTY },
	{ "run-done", NULL, PROTO_MSG_RUN_DONE, MSG_OWN },
	{ "run-recorded", "run-recorded is not one u64",
	    PROTO_MSG_RUN_RECORDED, MSG_VALUE },
	{ "status", "status has a payload", PROTO_MSG_STATUS, MSG_EMPTY },
	{ "status-ok", NULL, PROTO_MSG_STATUS_OK, MSG_OWN },
	{ "stop", "stop has a payload", PROTO_MSG_STOP, MSG_EMPTY },
	{ "stop-ok", "stop-ok is not one u64", PROTO_MSG_STOP_OK, MSG_VALUE },
	{ "since", NULL, PROTO_MSG_SINCE, MSG_OWN },
	{ "changes", NULL, PROTO_MSG_CHANGES, MSG_OWN },
	{ "watch", NULL, PROTO_MSG_WATCH, MSG_OWN },
	{ "changes-end", NULL, PROTO_MSG_CHANGES_END, MSG_OWN },
	{ "log", NULL, PROTO_MSG_LOG, MSG_OWN },
	{ "error", NULL, PROTO_MSG_ERROR, MSG_OWN },
};
#define MSG_NKINDS	(sizeof msg_kinds / sizeof msg_kinds[0])

static const struct msg_kind *msg_kind(uint32_t);
static const struct msg_kind *msg_shaped(uint32_t, enum msg_shape);
static int	 msg_fits(struct pbuf *, size_t);

static const struct msg_kind *
msg_kind(uint32_t type)
{
	size_t	i;

	for (i = 0; i < MSG_NKINDS; i++) {
		if (msg_kinds[i].type == type)
			return (&msg_kinds[i]);
	}
	return (NULL);
}

/* The kind of type, which must have that shape: anything else is a bug. */
static const struct msg_kind *
msg_shaped(uint32_t type, enum msg_shape shape)
{
	const struct msg_kind	*k;

	if ((k = msg_kind(type)) == NULL || k->shape != shape)
		abort();
	return (k);
}

/*
 * End the frame begun at off if its payload fits PROTO_MAX_MSG; else
 * drop it, leaving the pbuf as it was.  0 or -1.
 */
static int
msg_fits(struct pbuf *b, size_t off)
{
	if (b->len - off - PROTO_HDR_LEN > PROTO_MAX_MSG) {
		b->len = off;
		return (-1);
	}
	proto_end(b, off);
	return (0);
}

const char *
proto_msg_name(uint32_t type)
{
	const struct msg_kind	*k;

	return ((k = msg_kind(type)) != NULL ? k->name : "unknown");
}

int
proto_pack_hello(struct pbuf *b, const struct proto_hello *m)
{
	size_t	off;

	if (m->namelen > PROTO_MAX_NAME)
		return (-1);
	off = proto_begin(b, PROTO_MSG_HELLO);
	pbuf_put_u32(b, m->version);
	pbuf_put_bytes(b, m->name, m->namelen);
	proto_end(b, off);
	return (0);
}

int
proto_unpack_hello(const uint8_t *payload, size_t len, struct proto_hello *m,
    const char **cause)
{
	struct preader	 r;
	const uint8_t	*name;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &m->version) != 0 ||
	    preader_bytes(&r, &name, &m->namelen, PROTO_MAX_NAME) != 0 ||
	    preader_end(&r) != 0) {
		*cause = "malformed hello";
		return (-1);
	}
	m->name = (const char *)name;
	return (0);
}

int
proto_pack_hello_ok(struct pbuf *b, const struct proto_hello_ok *m)
{
	size_t	off;

	if (m->rootlen > PROTO_MAX_PATH)
		return (-1);
	off = proto_begin(b, PROTO_MSG_HELLO_OK);
	pbuf_put_u32(b, m->version);
	pbuf_put_u64(b, m->pid);
	pbuf_put_bytes(b, m->root, m->rootlen);
	proto_end(b, off);
	return (0);
}

int
proto_unpack_hello_ok(const uint8_t *payload, size_t len,
    struct proto_hello_ok *m, const char **cause)
{
	struct preader	 r;
	const uint8_t	*root;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &m->version) != 0 ||
	    preader_u64(&r, &m->pid) != 0 ||
	    preader_bytes(&r, &root, &m->rootlen, PROTO_MAX_PATH) != 0) {
		*cause = "hello-ok truncated or its root too long";
		return (-1);
	}
	if (preader_end(&r) != 0) {
		*cause = "hello-ok has trailing bytes";
		return (-1);
	}
	m->root = (const char *)root;
	return (0);
}

int
proto_pack_query(struct pbuf *b, uint32_t flags, char *const *paths,
    size_t n)
{
	size_t	off, i;

	if (n > PROTO_MAX_PATHS)
		return (-1);
	off = proto_begin(b, PROTO_MSG_QUERY);
	pbuf_put_u32(b, flags);
	pbuf_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		if (strlen(paths[i]) > PROTO_MAX_PATH) {
			b->len = off;
			return (-1);
		}
		pbuf_put_str(b, paths[i]);
	}
	return (msg_fits(b, off));
}

int
proto_unpack_query(const uint8_t *payload, size_t len, uint32_t *flags,
    const uint8_t **paths, uint32_t *lens, const char **cause)
{
	struct preader	r;
	uint32_t	n, i;

	preader_init(&r, payload, len);
	if (preader_u32(&r, flags) != 0 || preader_u32(&r, &n) != 0) {
		*cause = "query too short";
		return (-1);
	}
	if (*flags & ~PROTO_QUERY_ALL) {
		*cause = "query has unknown flags";
		return (-1);
	}
	if (n > PROTO_MAX_PATHS) {
		*cause = "query has too many paths";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (preader_bytes(&r, &paths[i], &lens[i],
		    PROTO_MAX_PATH) != 0) {
			*cause = "query path truncated or too long";
			return (-1);
		}
		if (!proto_relpath_ok(paths[i], lens[i])) {
			*cause = "query path is not a canonical relative path";
			return (-1);
		}
	}
	if (preader_end(&r) != 0) {
		*cause = "query has trailing bytes";
		return (-1);
	}
	return ((int)n);
}

int
proto_pack_records(struct pbuf *b, uint64_t seq,
    const struct proto_record *recs, uint32_t n)
{
	size_t		off;
	uint32_t	i;

	if (n > PROTO_MAX_PATHS)
		return (-1);
	off = proto_begin(b, PROTO_MSG_RECORDS);
	pbuf_put_u64(b, seq);
	pbuf_put_u32(b, n);
	for (i = 0; i < n; i++) {
		pbuf_put_u32(b, recs[i].state);
		pbuf_put_u64(b, recs[i].seq);
		pbuf_put_u64(b, (uint64_t)recs[i].wtime_ns);
		pbuf_put_u64(b, recs[i].built_from);
	}
	proto_end(b, off);
	return (0);
}

int
proto_unpack_records(const uint8_t *payload, size_t len, uint64_t *seq,
    struct proto_record *recs, uint32_t want, const char **cause)
{
	struct preader	r;
	uint32_t	n, i;
	uint64_t	v;

	preader_init(&r, payload, len);
	if (preader_u64(&r, seq) != 0 || preader_u32(&r, &n) != 0) {
		*cause = "records reply too short";
		return (-1);
	}
	if (n != want) {
		*cause = "records reply has the wrong number of records";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (preader_u32(&r, &recs[i].state) != 0 ||
		    preader_u64(&r, &recs[i].seq) != 0 ||
		    preader_u64(&r, &v) != 0 ||
		    preader_u64(&r, &recs[i].built_from) != 0) {
			*cause = "records reply truncated";
			return (-1);
		}
		recs[i].wtime_ns = (int64_t)v;
		if (recs[i].state > PROTO_FIRST_SIGHT) {
			*cause = "records reply has an unknown state";
			return (-1);
		}
	}
	if (preader_end(&r) != 0) {
		*cause = "records reply has trailing bytes";
		return (-1);
	}
	return (0);
}

void
proto_pack_empty(struct pbuf *b, uint32_t type)
{
	msg_shaped(type, MSG_EMPTY);
	proto_end(b, proto_begin(b, type));
}

int
proto_unpack_empty(uint32_t type, const uint8_t *payload, size_t len,
    const char **cause)
{
	const struct msg_kind	*k = msg_shaped(type, MSG_EMPTY);

	(void)payload;
	if (len != 0) {
		*cause = k->bad;
		return (-1);
	}
	return (0);
}

void
proto_pack_value(struct pbuf *b, uint32_t type, uint64_t v)
{
	size_t	off;

	msg_shaped(type, MSG_VALUE);
	off = proto_begin(b, type);
	pbuf_put_u64(b, v);
	proto_end(b, off);
}

int
proto_unpack_value(uint32_t type, const uint8_t *payload, size_t len,
    uint64_t *v, const char **cause)
{
	const struct msg_kind	*k = msg_shaped(type, MSG_VALUE);
	struct preader		 r;

	preader_init(&r, payload, len);
	if (preader_u64(&r, v) != 0 || preader_end(&r) != 0) {
		*cause = k->bad;
		return (-1);
	}
	return (0);
}

int
proto_pack_run_done(struct pbuf *b, const struct proto_run_done *m)
{
	size_t	off;

	if (m->targetlen > PROTO_MAX_PATH)
		return (-1);
	off = proto_begin(b, PROTO_MSG_RUN_DONE);
	pbuf_put_bytes(b, m->target, m->targetlen);
	pbuf_put_u64(b, m->started);
	pbuf_put_u32(b, m->status);
	proto_end(b, off);
	return (0);
}

int
proto_unpack_run_done(const uint8_t *payload, size_t len,
    struct proto_run_done *m, const char **cause)
{
	struct preader	 r;
	const uint8_t	*target;

	preader_init(&r, payload, len);
	if (preader_bytes(&r, &target, &m->targetlen, PROTO_MAX_PATH) != 0 ||
	    preader_u64(&r, &m->started) != 0 ||
	    preader_u32(&r, &m->status) != 0 || preader_end(&r) != 0) {
		*cause = "malformed run-done";
		return (-1);
	}
	if (!proto_relpath_ok(target, m->targetlen)) {
		*cause = "run-done target is not a canonical relative path";
		return (-1);
	}
	m->target = (const char *)target;
	return (0);
}

int
proto_pack_status_ok(struct pbuf *b, const struct proto_status_item *items,
    uint32_t n)
{
	const struct proto_status_item	*it;
	size_t				 off;
	uint32_t			 i;

	if (n > PROTO_MAX_STATUS)
		return (-1);
	off = proto_begin(b, PROTO_MSG_STATUS_OK);
	pbuf_put_u32(b, n);
	for (i = 0; i < n; i++) {
		it = &items[i];
		if (it->keylen > PROTO_MAX_KEY)
			goto fail;
		pbuf_put_bytes(b, it->key, it->keylen);
		pbuf_put_u32(b, it->kind);
		switch (it->kind) {
		case PROTO_STATUS_TEXT:
			if (it->textlen > PROTO_MAX_MSG)
				goto fail;
			pbuf_put_bytes(b, it->text, it->textlen);
			break;
		case PROTO_STATUS_U64:
			pbuf_put_u64(b, it->u64);
			break;
		case PROTO_STATUS_I64:
			pbuf_put_u64(b, (uint64_t)it->i64);
			break;
		default:
			goto fail;
		}
	}
	return (msg_fits(b, off));

fail:
	b->len = off;
	return (-1);
}

int
proto_unpack_status_ok(const uint8_t *payload, size_t len,
    struct proto_status_item *items, const char **cause)
{
	struct proto_status_item	*it;
	struct preader			 r;
	const uint8_t			*p;
	uint32_t			 n, i;
	uint64_t			 v;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &n) != 0) {
		*cause = "status reply too short";
		return (-1);
	}
	if (n > PROTO_MAX_STATUS) {
		*cause = "status reply has too many items";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		it = &items[i];
		memset(it, 0, sizeof *it);
		if (preader_bytes(&r, &p, &it->keylen, PROTO_MAX_KEY) != 0 ||
		    preader_u32(&r, &it->kind) != 0) {
			*cause = "status key truncated or too long";
			return (-1);
		}
		it->key = (const char *)p;
		switch (it->kind) {
		case PROTO_STATUS_TEXT:
			if (preader_bytes(&r, &p, &it->textlen,
			    PROTO_MAX_MSG) != 0)
				goto truncated;
			it->text = (const char *)p;
			break;
		case PROTO_STATUS_U64:
			if (preader_u64(&r, &it->u64) != 0)
				goto truncated;
			break;
		case PROTO_STATUS_I64:
			if (preader_u64(&r, &v) != 0)
				goto truncated;
			it->i64 = (int64_t)v;
			break;
		default:
			*cause = "status value of an unknown kind";
			return (-1);
		}
	}
	if (preader_end(&r) != 0) {
		*cause = "status reply has trailing bytes";
		return (-1);
	}
	return ((int)n);

truncated:
	*cause = "status value truncated";
	return (-1);
}

int
proto_pack_error(struct pbuf *b, const struct proto_error *m)
{
	size_t	off;

	if (m->msglen > PROTO_MAX_MSG - 8)
		return (-1);
	off = proto_begin(b, PROTO_MSG_ERROR);
	pbuf_put_u32(b, m->code);
	pbuf_put_bytes(b, m->msg, m->msglen);
	proto_end(b, off);
	return (0);
}

int
proto_unpack_error(const uint8_t *payload, size_t len, struct proto_error *m,
    const char **cause)
{
	struct preader	 r;
	const uint8_t	*msg;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &m->code) != 0 ||
	    preader_bytes(&r, &msg, &m->msglen, PROTO_MAX_MSG) != 0) {
		*cause = "error reply truncated";
		return (-1);
	}
	if (preader_end(&r) != 0) {
		*cause = "error reply has trailing bytes";
		return (-1);
	}
	m->msg = (const char *)msg;
	return (0);
}

void
proto_pack_since(struct pbuf *b, const struct proto_since *m)
{
	size_t	off;

	off = proto_begin(b, PROTO_MSG_SINCE);
	pbuf_put_u32(b, m->flags);
	pbuf_put_u64(b, m->db_id);
	pbuf_put_u64(b, m->seq);
	proto_end(b, off);
}

int
proto_unpack_since(const uint8_t *payload, size_t len, struct proto_since *m,
    const char **cause)
{
	struct preader	r;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &m->flags) != 0 ||
	    preader_u64(&r, &m->db_id) != 0 ||
	    preader_u64(&r, &m->seq) != 0 || preader_end(&r) != 0) {
		*cause = "malformed since";
		return (-1);
	}
	if (m->flags & ~PROTO_CHANGES_SYNC) {
		*cause = "since has unknown flags";
		return (-1);
	}
	return (0);
}

/* Append n relpaths (u32 n, then each); -1 if one is too long. */
static int
msg_put_paths(struct pbuf *b, char *const *paths, size_t n)
{
	size_t	i;

	if (n > PROTO_MAX_PATHS)
		return (-1);
	pbuf_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		if (strlen(paths[i]) > PROTO_MAX_PATH)
			return (-1);
		pbuf_put_str(b, paths[i]);
	}
	return (0);
}

/* Read what msg_put_paths wrote, to the end of the payload; n or -1. */
static int
msg_get_paths(struct preader *r, const uint8_t **paths, uint32_t *lens,
    const char **cause)
{
	uint32_t	n, i;

	if (preader_u32(r, &n) != 0) {
		*cause = "path list missing";
		return (-1);
	}
	if (n > PROTO_MAX_PATHS) {
		*cause = "too many paths";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (preader_bytes(r, &paths[i], &lens[i],
		    PROTO_MAX_PATH) != 0) {
			*cause = "path truncated or too long";
			return (-1);
		}
		if (lens[i] > 0 && !proto_relpath_ok(paths[i], lens[i])) {
			*cause = "path is not a canonical relative path";
			return (-1);
		}
	}
	if (preader_end(r) != 0) {
		*cause = "trailing bytes after the paths";
		return (-1);
	}
	return ((int)n);
}

int
proto_pack_watch(struct pbuf *b, const struct proto_watch *m,
    char *const *paths, size_t n)
{
	size_t	off;

	off = proto_begin(b, PROTO_MSG_WATCH);
	pbuf_put_u32(b, m->flags);
	pbuf_put_u64(b, m->db_id);
	pbuf_put_u64(b, m->seq);
	if (msg_put_paths(b, paths, n) != 0) {
		b->len = off;
		return (-1);
	}
	return (msg_fits(b, off));
}

int
proto_unpack_watch(const uint8_t *payload, size_t len, struct proto_watch *m,
    const uint8_t **paths, uint32_t *lens, const char **cause)
{
	struct preader	r;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &m->flags) != 0 ||
	    preader_u64(&r, &m->db_id) != 0 ||
	    preader_u64(&r, &m->seq) != 0) {
		*cause = "watch too short";
		return (-1);
	}
	if (m->flags & ~PROTO_WATCH_SINCE) {
		*cause = "watch has unknown flags";
		return (-1);
	}
	return (msg_get_paths(&r, paths, lens, cause));
}

int
proto_pack_log(struct pbuf *b, uint32_t flags, uint64_t max,
    char *const *paths, size_t n)
{
	size_t	off;

	off = proto_begin(b, PROTO_MSG_LOG);
	pbuf_put_u32(b, flags);
	pbuf_put_u64(b, max);
	if (msg_put_paths(b, paths, n) != 0) {
		b->len = off;
		return (-1);
	}
	return (msg_fits(b, off));
}

int
proto_unpack_log(const uint8_t *payload, size_t len, uint32_t *flags,
    uint64_t *max, const uint8_t **paths, uint32_t *lens, const char **cause)
{
	struct preader	r;

	preader_init(&r, payload, len);
	if (preader_u32(&r, flags) != 0 || preader_u64(&r, max) != 0) {
		*cause = "log too short";
		return (-1);
	}
	if (*flags & ~PROTO_CHANGES_SYNC) {
		*cause = "log has unknown flags";
		return (-1);
	}
	return (msg_get_paths(&r, paths, lens, cause));
}

int
proto_what_ok(uint32_t what)
{
	return (what <= PROTO_FRESH || (what >= PROTO_BUILD_START &&
	    what <= PROTO_BUILD_FAILED) || (what >= PROTO_START &&
	    what <= PROTO_RESCAN_LOST));
}

size_t
proto_changes_begin(struct pbuf *b)
{
	size_t	off;

	off = proto_begin(b, PROTO_MSG_CHANGES);
	pbuf_put_u32(b, 0);		/* the count, patched at the end */
	return (off);
}

void
proto_changes_add(struct pbuf *b, const struct proto_change *c)
{
	pbuf_put_u64(b, c->seq);
	pbuf_put_u32(b, c->what);
	pbuf_put_u64(b, (uint64_t)c->wtime_ns);
	pbuf_put_bytes(b, c->path, c->pathlen);
}

void
proto_changes_end(struct pbuf *b, size_t off, uint32_t n)
{
	uint8_t	*p = b->data + off + PROTO_HDR_LEN;

	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	proto_end(b, off);
}

/* Read one change; 0, or -1 with a cause. */
static int
msg_get_change(struct preader *r, struct proto_change *c, const char **cause)
{
	const uint8_t	*path;
	uint64_t	 w;

	if (preader_u64(r, &c->seq) != 0 || preader_u32(r, &c->what) != 0 ||
	    preader_u64(r, &w) != 0 ||
	    preader_bytes(r, &path, &c->pathlen, PROTO_MAX_PATH) != 0) {
		*cause = "changes truncated";
		return (-1);
	}
	c->wtime_ns = (int64_t)w;
	c->path = (const char *)path;
	if (!proto_what_ok(c->what)) {
		*cause = "changes have an unknown kind of change";
		return (-1);
	}
	if (c->pathlen > 0 && !proto_relpath_ok(path, c->pathlen)) {
		*cause = "changes have a path that is not canonical";
		return (-1);
	}
	return (0);
}

int
proto_unpack_changes(const uint8_t *payload, size_t len,
    void (*fn)(void *, const struct proto_change *), void *arg,
    const char **cause)
{
	struct preader		r;
	struct proto_change	c;
	uint32_t		n, i;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &n) != 0) {
		*cause = "changes too short";
		return (-1);
	}
	/* Every change takes PROTO_CHANGE_FIXED bytes at least. */
	if (n > (len - 4) / PROTO_CHANGE_FIXED) {
		*cause = "changes count more than they hold";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (msg_get_change(&r, &c, cause) != 0)
			return (-1);
	}
	if (preader_end(&r) != 0) {
		*cause = "changes have trailing bytes";
		return (-1);
	}
	preader_init(&r, payload + 4, len - 4);
	for (i = 0; i < n; i++) {
		(void)msg_get_change(&r, &c, cause);
		fn(arg, &c);
	}
	return ((int)n);
}

void
proto_pack_changes_end(struct pbuf *b, const struct proto_changes_end *m)
{
	size_t	off;

	off = proto_begin(b, PROTO_MSG_CHANGES_END);
	pbuf_put_u32(b, m->flags);
	pbuf_put_u64(b, m->db_id);
	pbuf_put_u64(b, m->seq);
	pbuf_put_u64(b, m->history_from);
	proto_end(b, off);
}

int
proto_unpack_changes_end(const uint8_t *payload, size_t len,
    struct proto_changes_end *m, const char **cause)
{
	struct preader	r;

	preader_init(&r, payload, len);
	if (preader_u32(&r, &m->flags) != 0 ||
	    preader_u64(&r, &m->db_id) != 0 ||
	    preader_u64(&r, &m->seq) != 0 ||
	    preader_u64(&r, &m->history_from) != 0 || preader_end(&r) != 0) {
		*cause = "malformed changes-end";
		return (-1);
	}
	if (m->flags & ~(PROTO_END_FRESH | PROTO_END_LIVE |
	    PROTO_END_OVERRUN | PROTO_END_PARTIAL)) {
		*cause = "changes-end has unknown flags";
		return (-1);
	}
	return (0);
}
