/*
 * libFuzzer target: the protocol decoder, as the daemon and the client
 * meet bytes from a socket.  The first byte chooses the decoder; the rest
 * is a frame (header + payload).  Every decoder must reject or accept
 * without reading out of bounds, and what it accepts must re-encode to
 * the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	*paths[PROTO_MAX_PATHS];
static uint32_t		 lens[PROTO_MAX_PATHS];
static struct proto_record recs[PROTO_MAX_PATHS];

static void
fuzz_query(const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	char		**copy;
	uint32_t	 flags;
	int		 n, i;

	if ((n = proto_unpack_query(p, len, &flags, paths, lens,
	    &cause)) < 0)
		return;
	/* Accepted: re-encoding gives the very same payload. */
	copy = calloc((size_t)n + 1, sizeof *copy);
	for (i = 0; i < n; i++)
		copy[i] = xstrndup((const char *)paths[i], lens[i]);
	pbuf_init(&b);
	if (proto_pack_query(&b, flags, copy, (size_t)n) != 0 ||
	    b.len != len + PROTO_HDR_LEN ||
	    memcmp(b.data + PROTO_HDR_LEN, p, len) != 0)
		abort();
	pbuf_free(&b);
	for (i = 0; i < n; i++)
		free(copy[i]);
	free(copy);
}

static void
fuzz_records(const uint8_t *p, size_t len, uint32_t want)
{
	struct pbuf	 b;
	const char	*cause;
	uint64_t	 seq;

	if (want > PROTO_MAX_PATHS)
		want %= PROTO_MAX_PATHS;
	if (proto_unpack_records(p, len, &seq, recs, want, &cause) != 0)
		return;
	pbuf_init(&b);
	if (proto_pack_records(&b, seq, recs, want) != 0 ||
	    b.len != len + PROTO_HDR_LEN ||
	    memcmp(b.data + PROTO_HDR_LEN, p, len) != 0)
		abort();
	pbuf_free(&b);
}

/* The HELLO and STATUS_OK shapes, read with the generic reader. */
static void
fuzz_reader(const uint8_t *p, size_t len)
{
	struct preader	 r;
	const uint8_t	*s;
	uint32_t	 v, n, slen;
	uint64_t	 q;

	preader_init(&r, p, len);
	if (preader_u32(&r, &v) == 0 && preader_bytes(&r, &s, &slen, 256) == 0)
		(void)preader_end(&r);
	preader_init(&r, p, len);
	if (preader_u32(&r, &n) != 0)
		return;
	while (n-- > 0 && preader_bytes(&r, &s, &slen, PROTO_MAX_MSG) == 0 &&
	    preader_bytes(&r, &s, &slen, PROTO_MAX_MSG) == 0)
		;
	preader_init(&r, p, len);
	while (preader_u64(&r, &q) == 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*cause;
	uint32_t	 type, len;
	uint8_t		*p;

	if (size < 1 + PROTO_HDR_LEN)
		return (0);
	if (proto_unpack_header(data + 1, &type, &len, &cause) != 0)
		return (0);
	size -= 1 + PROTO_HDR_LEN;
	if (len > size)
		return (0);	/* a short read: the reader waits for more */
	/* An exact-size heap copy, so ASan sees any read past the end. */
	p = malloc(len == 0 ? 1 : len);
	memcpy(p, data + 1 + PROTO_HDR_LEN, len);
	switch (data[0] % 3) {
	case 0:
		fuzz_query(p, len);
		break;
	case 1:
		fuzz_records(p, len, type);
		break;
	default:
		fuzz_reader(p, len);
		break;
	}
	(void)proto_msg_name(type);
	free(p);
	return (0);
}
