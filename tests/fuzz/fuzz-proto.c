/*
 * libFuzzer target: the codecs of proto/msg.c, as the daemon and the
 * client meet bytes from a socket.  The first byte chooses the message;
 * the rest is a frame (header + payload).  Every unpack must reject or
 * accept without reading out of bounds, and what it accepts must pack
 * again to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 fuzz_same(struct pbuf *, int, uint32_t, const uint8_t *,
		     size_t);
static void	 fuzz_hello(uint32_t, const uint8_t *, size_t);
static void	 fuzz_hello_ok(uint32_t, const uint8_t *, size_t);
static void	 fuzz_query(uint32_t, const uint8_t *, size_t);
static void	 fuzz_records(uint32_t, const uint8_t *, size_t);
static void	 fuzz_empty(uint32_t, const uint8_t *, size_t);
static void	 fuzz_value(uint32_t, const uint8_t *, size_t);
static void	 fuzz_run_done(uint32_t, const uint8_t *, size_t);
static void	 fuzz_status_ok(uint32_t, const uint8_t *, size_t);
static void	 fuzz_error(uint32_t, const uint8_t *, size_t);
static void	 fuzz_since(uint32_t, const uint8_t *, size_t);
static void	 fuzz_watch(uint32_t, const uint8_t *, size_t);
static void	 fuzz_log(uint32_t, const uint8_t *, size_t);
static void	 fuzz_changes(uint32_t, const uint8_t *, size_t);
static void	 fuzz_changes_end(uint32_t, const uint8_t *, size_t);

static const uint8_t		*paths[PROTO_MAX_PATHS];
static uint32_t			 lens[PROTO_MAX_PATHS];
static struct proto_record	 recs[PROTO_MAX_PATHS];
static struct proto_status_item	 items[PROTO_MAX_STATUS];

/*
 * The decoders the first byte chooses from; for the shared shapes, the
 * type too (the header's type is the fuzzer's, so any value is tried).
 */
static const struct {
	void		(*fn)(uint32_t, const uint8_t *, size_t);
	uint32_t	 type;
} fuzz_decoders[] = {
	{ fuzz_hello, PROTO_MSG_HELLO },
	{ fuzz_hello_ok, PROTO_MSG_HELLO_OK },
	{ fuzz_query, PROTO_MSG_QUERY },
	{ fuzz_records, PROTO_MSG_RECORDS },
	{ fuzz_empty, PROTO_MSG_SYNC },
	{ fuzz_value, PROTO_MSG_SYNC_OK },
	{ fuzz_empty, PROTO_MSG_PING },
	{ fuzz_empty, PROTO_MSG_PONG },
	{ fuzz_empty, PROTO_MSG_IMAGE },
	{ fuzz_run_done, PROTO_MSG_RUN_DONE },
	{ fuzz_value, PROTO_MSG_RUN_RECORDED },
	{ fuzz_empty, PROTO_MSG_STATUS },
	{ fuzz_status_ok, PROTO_MSG_STATUS_OK },
	{ fuzz_empty, PROTO_MSG_STOP },
	{ fuzz_value, PROTO_MSG_STOP_OK },
	{ fuzz_error, PROTO_MSG_ERROR },
	{ fuzz_since, PROTO_MSG_SINCE },
	{ fuzz_watch, PROTO_MSG_WATCH },
	{ fuzz_log, PROTO_MSG_LOG },
	{ fuzz_changes, PROTO_MSG_CHANGES },
	{ fuzz_changes_end, PROTO_MSG_CHANGES_END },
};
#define FUZZ_NDECODERS	(sizeof fuzz_decoders / sizeof fuzz_decoders[0])

/*
 * The frame packed into b (rc 0 from its pack) is of type and carries
 * exactly the payload p that was unpacked; abort otherwise.
 */
static void
fuzz_same(struct pbuf *b, int rc, uint32_t type, const uint8_t *p,
    size_t len)
{
	uint32_t	 htype, hlen;
	const char	*cause;

	if (rc != 0 || b->len != len + PROTO_HDR_LEN ||
	    proto_unpack_header(b->data, &htype, &hlen, &cause) != 0 ||
	    htype != type || hlen != len ||
	    memcmp(b->data + PROTO_HDR_LEN, p, len) != 0)
		abort();
	pbuf_free(b);
}

static void
fuzz_hello(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_hello	 m;
	struct pbuf		 b;
	const char		*cause;

	if (proto_unpack_hello(p, len, &m, &cause) != 0)
		return;
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_hello(&b, &m), type, p, len);
}

static void
fuzz_hello_ok(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_hello_ok	 m;
	struct pbuf		 b;
	const char		*cause;

	if (proto_unpack_hello_ok(p, len, &m, &cause) != 0)
		return;
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_hello_ok(&b, &m), type, p, len);
}

static void
fuzz_query(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	char		**copy;
	uint32_t	 flags;
	int		 n, i;

	if ((n = proto_unpack_query(p, len, &flags, paths, lens,
	    &cause)) < 0)
		return;
	/* A canonical relpath has no NUL: a C string carries it whole. */
	copy = calloc((size_t)n + 1, sizeof *copy);
	for (i = 0; i < n; i++)
		copy[i] = xstrndup((const char *)paths[i], lens[i]);
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_query(&b, flags, copy, (size_t)n), type, p,
	    len);
	for (i = 0; i < n; i++)
		free(copy[i]);
	free(copy);
}

static void
fuzz_records(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	uint64_t	 seq;
	uint32_t	 want;

	/* The count the client expects: as many as the payload holds. */
	want = len < 12 ? 0 : (uint32_t)((len - 12) / PROTO_RECORD_LEN);
	if (want > PROTO_MAX_PATHS)
		want = PROTO_MAX_PATHS;
	if (proto_unpack_records(p, len, &seq, recs, want, &cause) != 0)
		return;
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_records(&b, seq, recs, want), type, p, len);
}

static void
fuzz_empty(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;

	if (proto_unpack_empty(type, p, len, &cause) != 0)
		return;
	pbuf_init(&b);
	proto_pack_empty(&b, type);
	fuzz_same(&b, 0, type, p, len);
}

static void
fuzz_value(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	uint64_t	 v;

	if (proto_unpack_value(type, p, len, &v, &cause) != 0)
		return;
	pbuf_init(&b);
	proto_pack_value(&b, type, v);
	fuzz_same(&b, 0, type, p, len);
}

static void
fuzz_run_done(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_run_done	 m;
	struct pbuf		 b;
	const char		*cause;

	if (proto_unpack_run_done(p, len, &m, &cause) != 0)
		return;
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_run_done(&b, &m), type, p, len);
}

static void
fuzz_status_ok(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	int		 n;

	if ((n = proto_unpack_status_ok(p, len, items, &cause)) < 0)
		return;
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_status_ok(&b, items, (uint32_t)n), type, p,
	    len);
}

static void
fuzz_error(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_error	 m;
	struct pbuf		 b;
	const char		*cause;

	if (proto_unpack_error(p, len, &m, &cause) != 0)
		return;
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_error(&b, &m), type, p, len);
}

static void
fuzz_since(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_since	 m;
	struct pbuf		 b;
	const char		*cause;

	if (proto_unpack_since(p, len, &m, &cause) != 0)
		return;
	pbuf_init(&b);
	proto_pack_since(&b, &m);
	fuzz_same(&b, 0, type, p, len);
}

/* paths[0..n) (lens) as C strings, for a pack; free with fuzz_free_copy. */
static char **
fuzz_copy_paths(int n)
{
	char	**copy;
	int	  i;

	copy = calloc((size_t)n + 1, sizeof *copy);
	for (i = 0; i < n; i++)
		copy[i] = xstrndup((const char *)paths[i], lens[i]);
	return (copy);
}

static void
fuzz_free_copy(char **copy)
{
	char	**c;

	for (c = copy; *c != NULL; c++)
		free(*c);
	free(copy);
}

static void
fuzz_watch(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_watch	 m;
	struct pbuf		 b;
	const char		*cause;
	char			**copy;
	int			 n;

	if ((n = proto_unpack_watch(p, len, &m, paths, lens, &cause)) < 0)
		return;
	copy = fuzz_copy_paths(n);
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_watch(&b, &m, copy, (size_t)n), type, p,
	    len);
	fuzz_free_copy(copy);
}

static void
fuzz_log(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	char		**copy;
	uint64_t	 max;
	uint32_t	 flags;
	int		 n;

	if ((n = proto_unpack_log(p, len, &flags, &max, paths, lens,
	    &cause)) < 0)
		return;
	copy = fuzz_copy_paths(n);
	pbuf_init(&b);
	fuzz_same(&b, proto_pack_log(&b, flags, max, copy, (size_t)n), type,
	    p, len);
	fuzz_free_copy(copy);
}

/* Each change handed over is packed again into the pbuf arg. */
static void
fuzz_change_cb(void *arg, const struct proto_change *c)
{
	proto_changes_add(arg, c);
}

static void
fuzz_changes(uint32_t type, const uint8_t *p, size_t len)
{
	struct pbuf	 b;
	const char	*cause;
	size_t		 off;
	int		 n;

	pbuf_init(&b);
	off = proto_changes_begin(&b);
	if ((n = proto_unpack_changes(p, len, fuzz_change_cb, &b,
	    &cause)) < 0) {
		if (b.len != off + PROTO_HDR_LEN + 4)
			abort();	/* a change told before all were checked */
		pbuf_free(&b);
		return;
	}
	proto_changes_end(&b, off, (uint32_t)n);
	fuzz_same(&b, 0, type, p, len);
}

static void
fuzz_changes_end(uint32_t type, const uint8_t *p, size_t len)
{
	struct proto_changes_end	 m;
	struct pbuf			 b;
	const char			*cause;

	if (proto_unpack_changes_end(p, len, &m, &cause) != 0)
		return;
	pbuf_init(&b);
	proto_pack_changes_end(&b, &m);
	fuzz_same(&b, 0, type, p, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*cause;
	uint32_t	 type, len;
	uint8_t		*p;
	size_t		 i;

	if (size < 1 + PROTO_HDR_LEN)
		return (0);
	if (proto_unpack_header(data + 1, &type, &len, &cause) != 0)
		return (0);
	size -= 1 + PROTO_HDR_LEN;
	if (len > size)
		return (0);	/* a short read: the reader waits for more */
	(void)proto_msg_name(type);
	/* An exact-size heap copy, so ASan sees any read past the end. */
	p = malloc(len == 0 ? 1 : len);
	memcpy(p, data + 1 + PROTO_HDR_LEN, len);
	i = data[0] % FUZZ_NDECODERS;
	fuzz_decoders[i].fn(fuzz_decoders[i].type, p, len);
	free(p);
	return (0);
}
