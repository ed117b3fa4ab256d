/*
 * The pieces of every frame (see proto.h and PROTOCOL.md): the output
 * buffer, the big-endian integers and byte strings, the header, the
 * reader that bounds-checks a payload.  The messages themselves are in
 * msg.c.  Linked into both depcheckd and depcheck.
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
