/*
 * Pack and unpack protocol frames (see proto.h and PROTOCOL.md).  Linked
 * into both depcheckd and depcheck.  Every unpack function checks lengths
 * exactly: bytes from a socket are never trusted.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"

static void	 pbuf_grow(struct pbuf *, size_t);

void
pbuf_init(struct pbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
pbuf_free(struct pbuf *b)
{
	free(b->data);
	pbuf_init(b);
}

void
pbuf_reset(struct pbuf *b)
{
	b->len = 0;
}

static void
pbuf_grow(struct pbuf *b, size_t more)
{
	size_t	cap;

	if (b->len + more <= b->cap)
		return;
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap < b->len + more)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
pbuf_put_u32(struct pbuf *b, uint32_t v)
{
	pbuf_grow(b, 4);
	b->data[b->len++] = v >> 24;
	b->data[b->len++] = v >> 16;
	b->data[b->len++] = v >> 8;
	b->data[b->len++] = v;
}

void
pbuf_put_u64(struct pbuf *b, uint64_t v)
{
	pbuf_put_u32(b, v >> 32);
	pbuf_put_u32(b, (uint32_t)v);
}

void
pbuf_put_bytes(struct pbuf *b, const void *p, size_t len)
{
	pbuf_put_u32(b, (uint32_t)len);
	pbuf_grow(b, len);
	if (len != 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
}

void
pbuf_put_str(struct pbuf *b, const char *s)
{
	pbuf_put_bytes(b, s, strlen(s));
}

size_t
proto_begin(struct pbuf *b, uint32_t type)
{
	size_t	off = b->len;

	pbuf_put_u32(b, type);
	pbuf_put_u32(b, 0);
	return (off);
}

void
proto_end(struct pbuf *b, size_t off)
{
	uint32_t	len = (uint32_t)(b->len - off - PROTO_HDR_LEN);
	uint8_t		*p = b->data + off + 4;

	p[0] = len >> 24;
	p[1] = len >> 16;
	p[2] = len >> 8;
	p[3] = len;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

int
proto_unpack_header(const uint8_t *p, uint32_t *type, uint32_t *len,
    const char **cause)
{
	*type = get_be32(p);
	*len = get_be32(p + 4);
	if (*len > PROTO_MAX_MSG) {
		*cause = "message longer than the protocol allows";
		return (-1);
	}
	return (0);
}

void
preader_init(struct preader *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
}

int
preader_u32(struct preader *r, uint32_t *v)
{
	if (r->left < 4)
		return (-1);
	*v = get_be32(r->p);
	r->p += 4;
	r->left -= 4;
	return (0);
}

int
preader_u64(struct preader *r, uint64_t *v)
{
	uint32_t	hi, lo;

	if (r->left < 8)
		return (-1);
	preader_u32(r, &hi);
	preader_u32(r, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return (0);
}

int
preader_bytes(struct preader *r, const uint8_t **p, uint32_t *len,
    uint32_t max)
{
	uint32_t	n;

	if (preader_u32(r, &n) != 0 || n > max || n > r->left)
		return (-1);
	*p = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return (0);
}

int
preader_end(struct preader *r)
{
	return (r->left == 0 ? 0 : -1);
}

int
proto_relpath_ok(const uint8_t *p, uint32_t len)
{
	uint32_t	i, start;

	if (len == 0)
		return (1);
	for (i = 0, start = 0; i <= len; i++) {
		if (i < len && p[i] == '\0')
			return (0);
		if (i < len && p[i] != '/')
			continue;
		if (i == start)
			return (0);
		if (i - start == 1 && p[start] == '.')
			return (0);
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
			return (0);
		start = i + 1;
	}
	return (1);
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
	if (b->len - off - PROTO_HDR_LEN > PROTO_MAX_MSG) {
		b->len = off;
		return (-1);
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
		if (recs[i].state > PROTO_UNWATCHED) {
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
proto_pack_record(struct pbuf *b, const struct proto_record *rec)
{
	pbuf_put_u32(b, rec->state);
	pbuf_put_u64(b, rec->seq);
	pbuf_put_u64(b, (uint64_t)rec->wtime_ns);
	pbuf_put_u64(b, rec->built_from);
}

const char *
proto_msg_name(uint32_t type)
{
	switch (type) {
	case PROTO_MSG_HELLO:		return ("hello");
	case PROTO_MSG_HELLO_OK:	return ("hello-ok");
	case PROTO_MSG_QUERY:		return ("query");
	case PROTO_MSG_RECORDS:		return ("records");
	case PROTO_MSG_SYNC:		return ("sync");
	case PROTO_MSG_SYNC_OK:		return ("sync-ok");
	case PROTO_MSG_PING:		return ("ping");
	case PROTO_MSG_PONG:		return ("pong");
	case PROTO_MSG_RUN_DONE:	return ("run-done");
	case PROTO_MSG_RUN_RECORDED:	return ("run-recorded");
	case PROTO_MSG_STATUS:		return ("status");
	case PROTO_MSG_STATUS_OK:	return ("status-ok");
	case PROTO_MSG_STOP:		return ("stop");
	case PROTO_MSG_STOP_OK:		return ("stop-ok");
	case PROTO_MSG_ERROR:		return ("error");
	}
	return ("unknown");
}
