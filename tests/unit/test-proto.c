/*
 * Unit tests for proto/proto.c and proto/msg.c: the pack and get helpers,
 * frame headers, and the codec of every message, including every way a
 * payload from a socket can be malformed.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"
#include "unit.h"

/* The causes proto.c gives; the daemon sends them in its error reply. */
#define CAUSE_HDR_LONG		"message longer than the protocol allows"
#define CAUSE_Q_FLAGS		"query has unknown flags"
#define CAUSE_Q_MANY		"query has too many paths"
#define CAUSE_Q_LONG		"query path truncated or too long"
#define CAUSE_Q_PATH		"query path is not a canonical relative path"
#define CAUSE_Q_TRAILING	"query has trailing bytes"
#define CAUSE_R_COUNT		"records reply has the wrong number of records"
#define CAUSE_R_STATE		"records reply has an unknown state"
#define CAUSE_R_TRAILING	"records reply has trailing bytes"

/* Unpacked paths; each test runs in its own process. */
static const uint8_t	*qpaths[PROTO_MAX_PATHS];
static uint32_t		 qlens[PROTO_MAX_PATHS];

static uint8_t	*dup_bytes(const void *, size_t);
static void	 put_header(struct pbuf *, uint32_t, uint32_t);
static void	 put_record(struct pbuf *, uint32_t, uint64_t, int64_t);
static void	 put_query_many(struct pbuf *, uint32_t, uint32_t);
static int	 unpack_query_copy(const struct pbuf *, uint32_t *,
		     const char **);
static void	 check_path(const char *, int, const char *, size_t, int);
static int	 unpack_hello_any(const uint8_t *, size_t, const char **);
static int	 unpack_hello_ok_any(const uint8_t *, size_t, const char **);
static int	 unpack_run_done_any(const uint8_t *, size_t, const char **);
static int	 unpack_status_ok_any(const uint8_t *, size_t,
		     const char **);
static int	 unpack_error_any(const uint8_t *, size_t, const char **);
static int	 unpack_value_any(const uint8_t *, size_t, const char **);
static int	 unpack_records_2(const uint8_t *, size_t, const char **);
static void	 check_exact(const char *, int, const struct pbuf *,
		     uint32_t, int (*)(const uint8_t *, size_t,
		     const char **));

#define CHECK_PATH_OK(s)						\
	check_path(__FILE__, __LINE__, (s), sizeof (s) - 1, 1)
#define CHECK_PATH_BAD(s)						\
	check_path(__FILE__, __LINE__, (s), sizeof (s) - 1, 0)

/*
 * A copy in an allocation of exactly len bytes, so that the sanitizer
 * build catches a read past the end of a payload.
 */
static uint8_t *
dup_bytes(const void *p, size_t len)
{
	uint8_t	*copy;

	copy = xmalloc(len);
	if (len != 0)
		memcpy(copy, p, len);
	return (copy);
}

static void
put_header(struct pbuf *b, uint32_t type, uint32_t len)
{
	pbuf_put_u32(b, type);
	pbuf_put_u32(b, len);
}

static void
put_record(struct pbuf *b, uint32_t state, uint64_t seq, int64_t wtime)
{
	/* By hand, not by the codec under test: u32, u64, i64, u64. */
	pbuf_put_u32(b, state);
	pbuf_put_u64(b, seq);
	pbuf_put_u64(b, (uint64_t)wtime);
	pbuf_put_u64(b, seq / 2);
}

/* A QUERY payload whose count says said, holding n paths "a". */
static void
put_query_many(struct pbuf *b, uint32_t said, uint32_t n)
{
	uint32_t	i;

	pbuf_put_u32(b, 0);
	pbuf_put_u32(b, said);
	for (i = 0; i < n; i++)
		pbuf_put_str(b, "a");
}

/*
 * proto_unpack_query on an exact-size copy of the payload in b.  The
 * unpacked paths point into the copy, which is kept until the next call.
 */
static int
unpack_query_copy(const struct pbuf *b, uint32_t *flags, const char **cause)
{
	static uint8_t	*copy;

	free(copy);
	copy = dup_bytes(b->data, b->len);
	*cause = NULL;
	return (proto_unpack_query(copy, b->len, flags, qpaths, qlens, cause));
}

/* Check that a QUERY of the one path p (len bytes) is accepted or not. */
static void
check_path(const char *file, int line, const char *p, size_t len, int ok)
{
	struct pbuf	 b;
	uint8_t		*copy;
	uint32_t	 flags;
	const char	*cause = NULL;
	int		 rc;

	pbuf_init(&b);
	pbuf_put_u32(&b, 0);
	pbuf_put_u32(&b, 1);
	pbuf_put_bytes(&b, p, len);
	copy = dup_bytes(b.data, b.len);
	rc = proto_unpack_query(copy, b.len, &flags, qpaths, qlens, &cause);
	if (ok) {
		if (rc != 1)
			unit_fail(file, line, "path of %zu bytes rejected: "
			    "rc %d, cause '%s'", len, rc,
			    cause == NULL ? "(null)" : cause);
		unit_check_mem(file, line, "unpacked path", "packed path",
		    qpaths[0], qlens[0], p, len);
	} else {
		if (rc != -1)
			unit_fail(file, line, "path of %zu bytes accepted: "
			    "rc %d", len, rc);
		unit_check_str(file, line, "cause", "CAUSE_Q_PATH", cause,
		    CAUSE_Q_PATH);
	}
	free(copy);
	pbuf_free(&b);
}

void
proto_u32_round_trip(void)
{
	static const uint32_t	 v[] = { 0, 1, 0x01020304, 0x80000000,
				     UINT32_MAX };
	static const uint8_t	 be[] = { 0x01, 0x02, 0x03, 0x04 };
	struct pbuf		 b;
	struct preader		 r;
	uint32_t		 got;
	size_t			 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		pbuf_put_u32(&b, v[i]);
	CHECK_EQ_UINT(b.len, 4 * (sizeof v / sizeof v[0]));
	CHECK_EQ_MEM(b.data + 8, 4, be, sizeof be);	/* big-endian */

	preader_init(&r, b.data, b.len);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		got = 0xdeadbeef;
		CHECK_EQ_INT(preader_u32(&r, &got), 0);
		CHECK_EQ_UINT(got, v[i]);
	}
	CHECK_EQ_UINT(r.left, 0);
	CHECK_EQ_INT(preader_end(&r), 0);
	pbuf_free(&b);
}

void
proto_u64_round_trip(void)
{
	static const uint64_t	 v[] = { 0, 1, 0xffffffff, 0x100000000ULL,
				     0x0102030405060708ULL, UINT64_MAX };
	static const uint8_t	 be[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pbuf		 b;
	struct preader		 r;
	uint64_t		 got;
	size_t			 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		pbuf_put_u64(&b, v[i]);
	CHECK_EQ_UINT(b.len, 8 * (sizeof v / sizeof v[0]));
	CHECK_EQ_MEM(b.data + 32, 8, be, sizeof be);	/* big-endian */

	preader_init(&r, b.data, b.len);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		got = 0xdeadbeef;
		CHECK_EQ_INT(preader_u64(&r, &got), 0);
		CHECK_EQ_UINT(got, v[i]);
	}
	CHECK_EQ_INT(preader_end(&r), 0);
	pbuf_free(&b);
}

void
proto_bytes_round_trip(void)
{
	static const char	 odd[] = { 'a', '\0', '\n', (char)0xff, ' ' };
	struct pbuf		 b;
	struct preader		 r;
	char			*big;
	const uint8_t		*p;
	uint32_t		 len;

	big = xmalloc(5000);		/* more than the first allocation */
	memset(big, 'x', 5000);
	big[0] = 'A';
	big[4999] = 'Z';

	pbuf_init(&b);
	pbuf_put_bytes(&b, "", 0);
	pbuf_put_str(&b, "abc");
	pbuf_put_bytes(&b, odd, sizeof odd);
	pbuf_put_bytes(&b, big, 5000);
	CHECK_EQ_UINT(b.len, 4 + 4 + 3 + 4 + sizeof odd + 4 + 5000);
	CHECK_EQ_MEM(b.data + 4, 7, "\0\0\0\3abc", 7);

	preader_init(&r, b.data, b.len);
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 0), 0);
	CHECK_EQ_UINT(len, 0);
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 3), 0);
	CHECK_EQ_MEM(p, len, "abc", 3);
	CHECK(p == b.data + 8);		/* borrowed, not copied */
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 100), 0);
	CHECK_EQ_MEM(p, len, odd, sizeof odd);
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 5000), 0);
	CHECK_EQ_MEM(p, len, big, 5000);
	CHECK_EQ_INT(preader_end(&r), 0);

	pbuf_free(&b);
	CHECK(b.data == NULL);
	CHECK_EQ_UINT(b.len, 0);
	free(big);
}

void
proto_short_read_rejected(void)
{
	struct pbuf	 b;
	struct preader	 r;
	const uint8_t	*p;
	uint32_t	 v32, len;
	uint64_t	 v64;

	pbuf_init(&b);
	pbuf_put_u64(&b, 0x0102030405060708ULL);

	preader_init(&r, b.data, 3);
	CHECK_EQ_INT(preader_u32(&r, &v32), -1);
	CHECK_EQ_UINT(r.left, 3);		/* nothing consumed */
	CHECK_EQ_INT(preader_end(&r), -1);

	preader_init(&r, b.data, 7);
	CHECK_EQ_INT(preader_u64(&r, &v64), -1);
	CHECK_EQ_UINT(r.left, 7);
	preader_init(&r, b.data, 8);
	CHECK_EQ_INT(preader_u64(&r, &v64), 0);
	CHECK_EQ_UINT(v64, 0x0102030405060708ULL);

	/* A byte string longer than what is left, or than the maximum. */
	pbuf_reset(&b);
	pbuf_put_bytes(&b, "hello", 5);
	preader_init(&r, b.data, b.len - 1);
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 100), -1);
	preader_init(&r, b.data, b.len);
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 4), -1);
	preader_init(&r, b.data, b.len);
	CHECK_EQ_INT(preader_bytes(&r, &p, &len, 5), 0);
	CHECK_EQ_MEM(p, len, "hello", 5);
	pbuf_free(&b);
}

void
proto_frame_lengths(void)
{
	static const uint8_t	 hdr2[] = { 0, 0, 0, 100, 0, 0, 0, 16 };
	struct pbuf		 b;
	size_t			 off1, off2, off3, i;
	uint32_t		 type, len;
	const char		*cause = NULL;

	pbuf_init(&b);
	off1 = proto_begin(&b, PROTO_MSG_PING);
	proto_end(&b, off1);
	off2 = proto_begin(&b, PROTO_MSG_HELLO);
	pbuf_put_u32(&b, PROTO_VERSION);
	pbuf_put_str(&b, "depcheck");
	proto_end(&b, off2);
	off3 = proto_begin(&b, PROTO_MSG_ERROR);
	for (i = 0; i < 300; i++)	/* grows the buffer inside a frame */
		pbuf_put_u32(&b, (uint32_t)i);
	proto_end(&b, off3);

	CHECK_EQ_UINT(off1, 0);
	CHECK_EQ_UINT(off2, PROTO_HDR_LEN);
	CHECK_EQ_UINT(off3, 2 * PROTO_HDR_LEN + 16);
	CHECK_EQ_UINT(b.len, off3 + PROTO_HDR_LEN + 1200);

	CHECK_EQ_INT(proto_unpack_header(b.data + off1, &type, &len, &cause),
	    0);
	CHECK_EQ_UINT(type, PROTO_MSG_PING);
	CHECK_EQ_UINT(len, 0);
	CHECK_EQ_MEM(b.data + off2, PROTO_HDR_LEN, hdr2, sizeof hdr2);
	CHECK_EQ_INT(proto_unpack_header(b.data + off2, &type, &len, &cause),
	    0);
	CHECK_EQ_UINT(type, PROTO_MSG_HELLO);
	CHECK_EQ_UINT(len, 16);
	CHECK_EQ_INT(proto_unpack_header(b.data + off3, &type, &len, &cause),
	    0);
	CHECK_EQ_UINT(type, PROTO_MSG_ERROR);
	CHECK_EQ_UINT(len, 1200);

	pbuf_reset(&b);
	CHECK_EQ_UINT(b.len, 0);
	CHECK_EQ_UINT(proto_begin(&b, PROTO_MSG_SYNC), 0);
	pbuf_free(&b);
}

void
proto_header_max_accepted(void)
{
	struct pbuf	 b;
	uint32_t	 type = 0, len = 0;
	const char	*cause = NULL;

	pbuf_init(&b);
	put_header(&b, PROTO_MSG_STATUS_OK, PROTO_MAX_MSG);
	CHECK_EQ_INT(proto_unpack_header(b.data, &type, &len, &cause), 0);
	CHECK_EQ_UINT(type, PROTO_MSG_STATUS_OK);
	CHECK_EQ_UINT(len, PROTO_MAX_MSG);
	CHECK(cause == NULL);
	pbuf_free(&b);
}

void
proto_header_too_long_rejected(void)
{
	static const uint32_t	 bad[] = { PROTO_MAX_MSG + 1, 0x80000000,
				     UINT32_MAX };
	struct pbuf		 b;
	uint32_t		 type, len;
	const char		*cause;
	size_t			 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pbuf_reset(&b);
		put_header(&b, PROTO_MSG_QUERY, bad[i]);
		cause = NULL;
		CHECK_EQ_INT(proto_unpack_header(b.data, &type, &len, &cause),
		    -1);
		CHECK_EQ_STR(cause, CAUSE_HDR_LONG);
	}
	pbuf_free(&b);
}

void
proto_msg_name_known_and_unknown(void)
{
	CHECK_EQ_STR(proto_msg_name(PROTO_MSG_HELLO), "hello");
	CHECK_EQ_STR(proto_msg_name(PROTO_MSG_QUERY), "query");
	CHECK_EQ_STR(proto_msg_name(PROTO_MSG_RECORDS), "records");
	CHECK_EQ_STR(proto_msg_name(PROTO_MSG_ERROR), "error");
	CHECK_EQ_STR(proto_msg_name(0), "unknown");
	CHECK_EQ_STR(proto_msg_name(199), "unknown");
}

void
proto_query_round_trip(void)
{
	char *const	 paths[] = {
		"a",
		"src/main.c",
		"dir with spaces/a file",
		"new\nline/x\ty",
		"bad\377byte/\377",
		"\xc3\xa9t\xc3\xa9.txt",
	};
	size_t		 n = sizeof paths / sizeof paths[0], i, want;
	struct pbuf	 b;
	uint32_t	 type, len, flags = 0;
	const char	*cause = NULL;
	int		 rc;

	pbuf_init(&b);
	pbuf_put_str(&b, "junk before the frame");
	CHECK_EQ_INT(proto_pack_query(&b, PROTO_QUERY_SYNC, paths, n), 0);

	want = 8;
	for (i = 0; i < n; i++)
		want += 4 + strlen(paths[i]);
	CHECK_EQ_UINT(b.len, 25 + PROTO_HDR_LEN + want);
	CHECK_EQ_INT(proto_unpack_header(b.data + 25, &type, &len, &cause),
	    0);
	CHECK_EQ_UINT(type, PROTO_MSG_QUERY);
	CHECK_EQ_UINT(len, want);

	rc = proto_unpack_query(b.data + 25 + PROTO_HDR_LEN, len, &flags,
	    qpaths, qlens, &cause);
	CHECK_EQ_INT(rc, (int)n);
	CHECK_EQ_UINT(flags, PROTO_QUERY_SYNC);
	for (i = 0; i < n; i++) {
		CHECK_EQ_MEM(qpaths[i], qlens[i], paths[i], strlen(paths[i]));
		/* borrowed: pointers into the payload */
		CHECK(qpaths[i] > b.data && qpaths[i] < b.data + b.len);
	}
	pbuf_free(&b);
}

void
proto_query_root_path(void)
{
	char *const	 paths[] = { "", "x", "" };
	struct pbuf	 b;
	uint32_t	 type, len, flags = 99;
	const char	*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, 3), 0);
	CHECK_EQ_INT(proto_unpack_header(b.data, &type, &len, &cause), 0);
	CHECK_EQ_UINT(len, 8 + 4 + 5 + 4);
	CHECK_EQ_INT(proto_unpack_query(b.data + PROTO_HDR_LEN, len, &flags,
	    qpaths, qlens, &cause), 3);
	CHECK_EQ_UINT(flags, 0);
	CHECK_EQ_UINT(qlens[0], 0);
	CHECK_EQ_MEM(qpaths[1], qlens[1], "x", 1);
	CHECK_EQ_UINT(qlens[2], 0);
	pbuf_free(&b);

	CHECK_PATH_OK("");
}

void
proto_query_no_paths(void)
{
	struct pbuf	 b;
	uint32_t	 type, len, flags = 99;
	const char	*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_query(&b, PROTO_QUERY_SYNC, NULL, 0), 0);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 8);
	CHECK_EQ_INT(proto_unpack_header(b.data, &type, &len, &cause), 0);
	CHECK_EQ_UINT(len, 8);
	CHECK_EQ_INT(proto_unpack_query(b.data + PROTO_HDR_LEN, len, &flags,
	    qpaths, qlens, &cause), 0);
	CHECK_EQ_UINT(flags, PROTO_QUERY_SYNC);
	pbuf_free(&b);
}

void
proto_query_truncated_rejected(void)
{
	char *const	 paths[] = { "src/a.c", "", "b", "include/x.h" };
	struct pbuf	 b;
	uint8_t		*copy;
	const uint8_t	*payload;
	uint32_t	 flags;
	size_t		 len, cut;
	const char	*cause;
	int		 rc;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_query(&b, PROTO_QUERY_SYNC, paths, 4), 0);
	payload = b.data + PROTO_HDR_LEN;
	len = b.len - PROTO_HDR_LEN;
	CHECK_EQ_UINT(len, 8 + 4 * 4 + 7 + 0 + 1 + 11);

	for (cut = 0; cut < len; cut++) {
		copy = dup_bytes(payload, cut);
		cause = NULL;
		rc = proto_unpack_query(copy, cut, &flags, qpaths, qlens,
		    &cause);
		if (rc != -1)
			unit_fail(__FILE__, __LINE__, "query cut to %zu of "
			    "%zu bytes accepted: rc %d", cut, len, rc);
		if (cause == NULL)
			unit_fail(__FILE__, __LINE__, "query cut to %zu of "
			    "%zu bytes rejected without a cause", cut, len);
		free(copy);
	}
	copy = dup_bytes(payload, len);
	CHECK_EQ_INT(proto_unpack_query(copy, len, &flags, qpaths, qlens,
	    &cause), 4);
	free(copy);
	pbuf_free(&b);
}

void
proto_query_unknown_flags_rejected(void)
{
	static const uint32_t	 bad[] = { 0x2, 0x3, 0x80000000, UINT32_MAX };
	struct pbuf		 b;
	uint32_t		 flags;
	const char		*cause;
	size_t			 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pbuf_reset(&b);
		pbuf_put_u32(&b, bad[i]);
		pbuf_put_u32(&b, 1);
		pbuf_put_str(&b, "a");
		CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), -1);
		CHECK_EQ_STR(cause, CAUSE_Q_FLAGS);
	}
	pbuf_reset(&b);
	pbuf_put_u32(&b, PROTO_QUERY_ALL);
	pbuf_put_u32(&b, 1);
	pbuf_put_str(&b, "a");
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), 1);
	CHECK_EQ_UINT(flags, PROTO_QUERY_ALL);
	pbuf_free(&b);
}

void
proto_query_too_many_paths_rejected(void)
{
	struct pbuf	 b;
	uint32_t	 flags;
	const char	*cause;

	pbuf_init(&b);
	put_query_many(&b, PROTO_MAX_PATHS, PROTO_MAX_PATHS);
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), PROTO_MAX_PATHS);
	CHECK_EQ_MEM(qpaths[PROTO_MAX_PATHS - 1],
	    qlens[PROTO_MAX_PATHS - 1], "a", 1);

	/* Every path present: rejected for the count, not the length. */
	pbuf_reset(&b);
	put_query_many(&b, PROTO_MAX_PATHS + 1, PROTO_MAX_PATHS + 1);
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_Q_MANY);

	pbuf_reset(&b);
	put_query_many(&b, UINT32_MAX, 1);
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_Q_MANY);
	pbuf_free(&b);
}

void
proto_query_path_too_long_rejected(void)
{
	struct pbuf	 b;
	char		*p;
	uint32_t	 flags;
	const char	*cause;

	p = xmalloc(PROTO_MAX_PATH + 1);
	memset(p, 'a', PROTO_MAX_PATH + 1);

	pbuf_init(&b);
	pbuf_put_u32(&b, 0);
	pbuf_put_u32(&b, 1);
	pbuf_put_bytes(&b, p, PROTO_MAX_PATH);
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), 1);
	CHECK_EQ_UINT(qlens[0], PROTO_MAX_PATH);

	/* Every byte present: rejected for the length, not truncation. */
	pbuf_reset(&b);
	pbuf_put_u32(&b, 0);
	pbuf_put_u32(&b, 1);
	pbuf_put_bytes(&b, p, PROTO_MAX_PATH + 1);
	CHECK_EQ_UINT(b.len, 8 + 4 + PROTO_MAX_PATH + 1);
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_Q_LONG);
	pbuf_free(&b);
	free(p);
}

void
proto_query_path_nul_rejected(void)
{
	CHECK_PATH_OK("a b");
	CHECK_PATH_BAD("a\0b");
	CHECK_PATH_BAD("\0");
	CHECK_PATH_BAD("abc\0");
	CHECK_PATH_BAD("\0abc");
	CHECK_PATH_BAD("dir/\0/x");
}

void
proto_query_leading_slash_rejected(void)
{
	CHECK_PATH_OK("a");
	CHECK_PATH_BAD("/");
	CHECK_PATH_BAD("/a");
	CHECK_PATH_BAD("/a/b");
}

void
proto_query_trailing_slash_rejected(void)
{
	CHECK_PATH_OK("a/b");
	CHECK_PATH_BAD("a/");
	CHECK_PATH_BAD("a/b/");
}

void
proto_query_double_slash_rejected(void)
{
	CHECK_PATH_OK("a/b/c");
	CHECK_PATH_BAD("a//b");
	CHECK_PATH_BAD("a/b//c");
	CHECK_PATH_BAD("//");
}

void
proto_query_dot_rejected(void)
{
	CHECK_PATH_BAD(".");
	CHECK_PATH_BAD("./a");
	CHECK_PATH_BAD("a/.");
	CHECK_PATH_BAD("a/./b");
}

void
proto_query_dotdot_rejected(void)
{
	CHECK_PATH_BAD("..");
	CHECK_PATH_BAD("../a");
	CHECK_PATH_BAD("a/..");
	CHECK_PATH_BAD("a/../b");
}

void
proto_query_dot_names_accepted(void)
{
	/* Names that only start or end with dots are ordinary names. */
	CHECK_PATH_OK(".a");
	CHECK_PATH_OK("a.");
	CHECK_PATH_OK("...");
	CHECK_PATH_OK("..a/b..");
	CHECK_PATH_OK(".depcheck/x");
	CHECK_PATH_OK("a/.../b");
}

void
proto_query_trailing_bytes_rejected(void)
{
	struct pbuf	 b;
	uint32_t	 flags;
	const char	*cause;

	pbuf_init(&b);
	pbuf_put_u32(&b, 0);
	pbuf_put_u32(&b, 2);
	pbuf_put_str(&b, "a");
	pbuf_put_str(&b, "b");
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), 2);
	pbuf_put_bytes(&b, "", 0);	/* a third, empty, path not counted */
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_Q_TRAILING);

	pbuf_reset(&b);
	pbuf_put_u32(&b, 0);
	pbuf_put_u32(&b, 0);
	CHECK(b.len < b.cap);
	b.data[b.len++] = 'x';
	CHECK_EQ_INT(unpack_query_copy(&b, &flags, &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_Q_TRAILING);
	pbuf_free(&b);
}

void
proto_pack_query_too_many_paths(void)
{
	char		**paths;
	struct pbuf	  b;
	size_t		  i;

	paths = xreallocarray(NULL, PROTO_MAX_PATHS + 1, sizeof *paths);
	for (i = 0; i < PROTO_MAX_PATHS + 1; i++)
		paths[i] = "a";
	pbuf_init(&b);
	pbuf_put_str(&b, "kept");
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, PROTO_MAX_PATHS + 1), -1);
	CHECK_EQ_UINT(b.len, 8);
	CHECK_EQ_MEM(b.data, b.len, "\0\0\0\4kept", 8);
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, PROTO_MAX_PATHS), 0);
	CHECK_EQ_UINT(b.len, 8 + PROTO_HDR_LEN + 8 + 5 * PROTO_MAX_PATHS);
	pbuf_free(&b);
	free(paths);
}

void
proto_pack_query_path_too_long(void)
{
	char		*paths[2];
	char		*p;
	struct pbuf	 b;

	p = xmalloc(PROTO_MAX_PATH + 2);
	memset(p, 'a', PROTO_MAX_PATH + 1);
	p[PROTO_MAX_PATH + 1] = '\0';
	paths[0] = "first";
	paths[1] = p;

	pbuf_init(&b);
	pbuf_put_str(&b, "kept");
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, 2), -1);
	CHECK_EQ_UINT(b.len, 8);		/* the partial frame is gone */
	CHECK_EQ_MEM(b.data, b.len, "\0\0\0\4kept", 8);

	p[PROTO_MAX_PATH] = '\0';
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, 2), 0);
	CHECK_EQ_UINT(b.len, 8 + PROTO_HDR_LEN + 8 + 4 + 5 + 4 +
	    PROTO_MAX_PATH);
	pbuf_free(&b);
	free(p);
}

void
proto_pack_query_too_large(void)
{
	char		**paths;
	char		 *full, *last;
	struct pbuf	  b;
	uint32_t	  type, len, flags;
	const char	 *cause = NULL;
	size_t		  i, nfull, lastlen;

	/*
	 * 255 paths of PROTO_MAX_PATH bytes and one of lastlen make a
	 * payload of exactly PROTO_MAX_MSG bytes: 8 + 255 * 4099 + 4 + 3319.
	 */
	nfull = 255;
	lastlen = PROTO_MAX_MSG - 8 - nfull * (4 + PROTO_MAX_PATH) - 4;
	CHECK_EQ_UINT(lastlen, 3319);
	full = xmalloc(PROTO_MAX_PATH + 1);
	memset(full, 'f', PROTO_MAX_PATH);
	full[PROTO_MAX_PATH] = '\0';
	last = xmalloc(lastlen + 2);
	memset(last, 'l', lastlen + 1);
	last[lastlen + 1] = '\0';
	paths = xreallocarray(NULL, nfull + 1, sizeof *paths);
	for (i = 0; i < nfull; i++)
		paths[i] = full;
	paths[nfull] = last;

	pbuf_init(&b);
	pbuf_put_str(&b, "kept");
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, nfull + 1), -1);
	CHECK_EQ_UINT(b.len, 8);
	CHECK_EQ_MEM(b.data, b.len, "\0\0\0\4kept", 8);

	last[lastlen] = '\0';
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_query(&b, 0, paths, nfull + 1), 0);
	CHECK_EQ_INT(proto_unpack_header(b.data, &type, &len, &cause), 0);
	CHECK_EQ_UINT(len, PROTO_MAX_MSG);
	CHECK_EQ_INT(proto_unpack_query(b.data + PROTO_HDR_LEN, len, &flags,
	    qpaths, qlens, &cause), (int)nfull + 1);
	CHECK_EQ_UINT(qlens[nfull], lastlen);
	pbuf_free(&b);
	free(paths);
	free(last);
	free(full);
}

void
proto_records_round_trip(void)
{
	struct proto_record	 recs[4];
	struct pbuf		 b;
	uint8_t			*copy;
	uint64_t		 seq = 0;
	const char		*cause = NULL;

	pbuf_init(&b);
	pbuf_put_u64(&b, 0x0102030405060708ULL);
	pbuf_put_u32(&b, 3);
	put_record(&b, PROTO_EXISTS, 42, 1700000000123456789LL);
	put_record(&b, PROTO_MISSING, UINT64_MAX, -1);
	put_record(&b, PROTO_UNWATCHED, 0, INT64_MIN);
	CHECK_EQ_UINT(b.len, 12 + 3 * PROTO_RECORD_LEN);

	memset(recs, 0xa5, sizeof recs);
	copy = dup_bytes(b.data, b.len);
	CHECK_EQ_INT(proto_unpack_records(copy, b.len, &seq, recs, 3, &cause),
	    0);
	CHECK_EQ_UINT(seq, 0x0102030405060708ULL);
	CHECK_EQ_UINT(recs[0].state, PROTO_EXISTS);
	CHECK_EQ_UINT(recs[0].seq, 42);
	CHECK_EQ_INT(recs[0].wtime_ns, 1700000000123456789LL);
	CHECK_EQ_UINT(recs[0].built_from, 21);
	CHECK_EQ_UINT(recs[1].built_from, UINT64_MAX / 2);
	CHECK_EQ_UINT(recs[1].state, PROTO_MISSING);
	CHECK_EQ_UINT(recs[1].seq, UINT64_MAX);
	CHECK_EQ_INT(recs[1].wtime_ns, -1);
	CHECK_EQ_UINT(recs[2].state, PROTO_UNWATCHED);
	CHECK_EQ_UINT(recs[2].seq, 0);
	CHECK_EQ_INT(recs[2].wtime_ns, INT64_MIN);
	CHECK_EQ_UINT(recs[3].state, 0xa5a5a5a5);	/* untouched */
	free(copy);

	/* No records at all. */
	pbuf_reset(&b);
	pbuf_put_u64(&b, 7);
	pbuf_put_u32(&b, 0);
	copy = dup_bytes(b.data, b.len);
	CHECK_EQ_INT(proto_unpack_records(copy, b.len, &seq, recs, 0, &cause),
	    0);
	CHECK_EQ_UINT(seq, 7);
	free(copy);
	pbuf_free(&b);
}

void
proto_records_wrong_count_rejected(void)
{
	struct proto_record	 recs[4];
	struct pbuf		 b;
	uint64_t		 seq;
	const char		*cause;

	pbuf_init(&b);
	pbuf_put_u64(&b, 1);
	pbuf_put_u32(&b, 3);
	put_record(&b, PROTO_EXISTS, 1, 0);
	put_record(&b, PROTO_EXISTS, 2, 0);
	put_record(&b, PROTO_EXISTS, 3, 0);

	cause = NULL;
	CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs, 2,
	    &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_R_COUNT);
	cause = NULL;
	CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs, 4,
	    &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_R_COUNT);
	cause = NULL;
	CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs, 3,
	    &cause), 0);
	CHECK_EQ_UINT(recs[2].seq, 3);
	pbuf_free(&b);
}

void
proto_records_truncated_rejected(void)
{
	struct proto_record	 recs[2];
	struct pbuf		 b;
	uint8_t			*copy;
	uint64_t		 seq;
	size_t			 cut;
	const char		*cause;
	int			 rc;

	pbuf_init(&b);
	pbuf_put_u64(&b, 99);
	pbuf_put_u32(&b, 2);
	put_record(&b, PROTO_EXISTS, 10, 1000);
	put_record(&b, PROTO_MISSING, 11, 2000);

	for (cut = 0; cut < b.len; cut++) {
		copy = dup_bytes(b.data, cut);
		cause = NULL;
		rc = proto_unpack_records(copy, cut, &seq, recs, 2, &cause);
		if (rc != -1)
			unit_fail(__FILE__, __LINE__, "records cut to %zu of "
			    "%zu bytes accepted: rc %d", cut, b.len, rc);
		if (cause == NULL)
			unit_fail(__FILE__, __LINE__, "records cut to %zu of "
			    "%zu bytes rejected without a cause", cut, b.len);
		free(copy);
	}
	copy = dup_bytes(b.data, b.len);
	CHECK_EQ_INT(proto_unpack_records(copy, b.len, &seq, recs, 2, &cause),
	    0);
	CHECK_EQ_INT(recs[1].wtime_ns, 2000);
	free(copy);
	pbuf_free(&b);
}

void
proto_records_unknown_state_rejected(void)
{
	static const uint32_t	 bad[] = { PROTO_FIRST_SIGHT + 1, 0x100,
				     UINT32_MAX };
	struct proto_record	 recs[2];
	struct pbuf		 b;
	uint64_t		 seq;
	const char		*cause;
	size_t			 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pbuf_reset(&b);
		pbuf_put_u64(&b, 1);
		pbuf_put_u32(&b, 2);
		put_record(&b, PROTO_EXISTS, 1, 0);
		put_record(&b, bad[i], 2, 0);
		cause = NULL;
		CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs,
		    2, &cause), -1);
		CHECK_EQ_STR(cause, CAUSE_R_STATE);
	}
	pbuf_reset(&b);
	pbuf_put_u64(&b, 1);
	pbuf_put_u32(&b, 2);
	put_record(&b, PROTO_EXISTS, 1, 0);
	put_record(&b, PROTO_UNWATCHED, 2, 0);
	CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs, 2,
	    &cause), 0);
	CHECK_EQ_UINT(recs[1].state, PROTO_UNWATCHED);
	pbuf_free(&b);
}

void
proto_records_trailing_bytes_rejected(void)
{
	struct proto_record	 recs[1];
	struct pbuf		 b;
	uint64_t		 seq;
	const char		*cause = NULL;

	pbuf_init(&b);
	pbuf_put_u64(&b, 1);
	pbuf_put_u32(&b, 1);
	put_record(&b, PROTO_EXISTS, 5, 0);
	CHECK(b.len < b.cap);
	b.data[b.len++] = 0;
	CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs, 1,
	    &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_R_TRAILING);

	/* A whole extra record, beyond the count, is trailing too. */
	b.len--;
	put_record(&b, PROTO_EXISTS, 6, 0);
	cause = NULL;
	CHECK_EQ_INT(proto_unpack_records(b.data, b.len, &seq, recs, 1,
	    &cause), -1);
	CHECK_EQ_STR(cause, CAUSE_R_TRAILING);
	pbuf_free(&b);
}

/*
 * The codecs of msg.c, message by message: a round trip, every cut of
 * the payload and one byte more rejected with a cause, and the bounds.
 */

typedef int	(*unpack_fn)(const uint8_t *, size_t, const char **);

static int
unpack_hello_any(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_hello	m;

	return (proto_unpack_hello(p, len, &m, cause));
}

static int
unpack_hello_ok_any(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_hello_ok	m;

	return (proto_unpack_hello_ok(p, len, &m, cause));
}

static int
unpack_run_done_any(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_run_done	m;

	return (proto_unpack_run_done(p, len, &m, cause));
}

static int
unpack_status_ok_any(const uint8_t *p, size_t len, const char **cause)
{
	static struct proto_status_item	items[PROTO_MAX_STATUS];

	return (proto_unpack_status_ok(p, len, items, cause) < 0 ? -1 : 0);
}

static int
unpack_error_any(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_error	m;

	return (proto_unpack_error(p, len, &m, cause));
}

static uint32_t	 unpack_type;	/* for the two shared shapes below */

static int
unpack_value_any(const uint8_t *p, size_t len, const char **cause)
{
	uint64_t	v;

	return (proto_unpack_value(unpack_type, p, len, &v, cause));
}

static int
unpack_records_2(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_record	recs[2];
	uint64_t		seq;

	return (proto_unpack_records(p, len, &seq, recs, 2, cause));
}

/*
 * b holds one frame of type, packed by a codec: its header is right, its
 * payload unpacks, and every cut of the payload and the payload with a
 * byte more are rejected with a cause (each an exact-size copy).
 */
static void
check_exact(const char *file, int line, const struct pbuf *b, uint32_t type,
    unpack_fn fn)
{
	const uint8_t	*payload = b->data + PROTO_HDR_LEN;
	uint32_t	 htype, hlen;
	uint8_t		*copy;
	size_t		 len = b->len - PROTO_HDR_LEN, cut;
	const char	*cause = NULL;

	if (proto_unpack_header(b->data, &htype, &hlen, &cause) != 0 ||
	    htype != type || hlen != len)
		unit_fail(file, line, "header: type %u length %u, want %u %zu",
		    htype, hlen, type, len);
	copy = dup_bytes(payload, len);
	if (fn(copy, len, &cause) != 0)
		unit_fail(file, line, "packed payload rejected: %s", cause);
	free(copy);
	for (cut = 0; cut < len; cut++) {
		copy = dup_bytes(payload, cut);
		cause = NULL;
		if (fn(copy, cut, &cause) != -1)
			unit_fail(file, line, "cut to %zu of %zu bytes accepted",
			    cut, len);
		if (cause == NULL)
			unit_fail(file, line, "cut to %zu of %zu bytes rejected"
			    " without a cause", cut, len);
		free(copy);
	}
	copy = xmalloc(len + 1);
	memcpy(copy, payload, len);
	copy[len] = 0;
	cause = NULL;
	if (fn(copy, len + 1, &cause) != -1 || cause == NULL)
		unit_fail(file, line, "a byte more accepted");
	free(copy);
}

#define CHECK_EXACT(b, type, fn)					\
	check_exact(__FILE__, __LINE__, (b), (type), (fn))

void
proto_hello_round_trip(void)
{
	struct proto_hello	 in = { 7, "depcheck", 8 }, out;
	struct pbuf		 b;
	const char		*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_hello(&b, &in), 0);
	/* The worked example of PROTOCOL.md, but for the version. */
	CHECK_EQ_MEM(b.data, b.len, "\0\0\0\x64\0\0\0\x10\0\0\0\x07"
	    "\0\0\0\x08" "depcheck", 24);
	CHECK_EQ_INT(proto_unpack_hello(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), 0);
	CHECK_EQ_UINT(out.version, 7);
	CHECK_EQ_MEM(out.name, out.namelen, "depcheck", 8);
	CHECK(out.name == (const char *)b.data + 16);	/* borrowed */
	CHECK_EXACT(&b, PROTO_MSG_HELLO, unpack_hello_any);
	pbuf_free(&b);
}

void
proto_hello_name_bound(void)
{
	struct proto_hello	 in = { PROTO_VERSION, NULL, PROTO_MAX_NAME };
	struct pbuf		 b;
	char			*name;
	const char		*cause = NULL;

	name = xmalloc(PROTO_MAX_NAME + 1);
	memset(name, 'n', PROTO_MAX_NAME + 1);
	in.name = name;
	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_hello(&b, &in), 0);
	CHECK_EXACT(&b, PROTO_MSG_HELLO, unpack_hello_any);

	pbuf_reset(&b);
	pbuf_put_str(&b, "kept");
	in.namelen = PROTO_MAX_NAME + 1;
	CHECK_EQ_INT(proto_pack_hello(&b, &in), -1);
	CHECK_EQ_UINT(b.len, 8);

	/* By hand: every byte present, rejected for the length. */
	pbuf_reset(&b);
	pbuf_put_u32(&b, PROTO_VERSION);
	pbuf_put_bytes(&b, name, PROTO_MAX_NAME + 1);
	CHECK_EQ_INT(unpack_hello_any(b.data, b.len, &cause), -1);
	CHECK_EQ_STR(cause, "malformed hello");
	pbuf_free(&b);
	free(name);
}

void
proto_hello_ok_round_trip(void)
{
	struct proto_hello_ok	 in = { PROTO_VERSION, UINT64_MAX - 1, "/src",
				     4 }, out;
	struct pbuf		 b;
	char			*root;
	const char		*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_hello_ok(&b, &in), 0);
	CHECK_EQ_INT(proto_unpack_hello_ok(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), 0);
	CHECK_EQ_UINT(out.version, PROTO_VERSION);
	CHECK_EQ_UINT(out.pid, UINT64_MAX - 1);
	CHECK_EQ_MEM(out.root, out.rootlen, "/src", 4);
	CHECK_EXACT(&b, PROTO_MSG_HELLO_OK, unpack_hello_ok_any);

	/* A root of PROTO_MAX_PATH bytes, and one more. */
	root = xmalloc(PROTO_MAX_PATH + 1);
	memset(root, '/', PROTO_MAX_PATH + 1);
	in.root = root;
	in.rootlen = PROTO_MAX_PATH;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_hello_ok(&b, &in), 0);
	CHECK_EQ_INT(unpack_hello_ok_any(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &cause), 0);
	in.rootlen++;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_hello_ok(&b, &in), -1);
	CHECK_EQ_UINT(b.len, 0);
	pbuf_put_u32(&b, PROTO_VERSION);
	pbuf_put_u64(&b, 1);
	pbuf_put_bytes(&b, root, PROTO_MAX_PATH + 1);
	CHECK_EQ_INT(unpack_hello_ok_any(b.data, b.len, &cause), -1);
	pbuf_free(&b);
	free(root);
}

void
proto_records_pack_round_trip(void)
{
	struct proto_record	 in[2] = {
		{ PROTO_EXISTS, 42, -7, 40 },
		{ PROTO_UNWATCHED, 0, INT64_MAX, UINT64_MAX },
	}, out[2];
	struct pbuf		 b, hand;
	uint64_t		 seq;
	const char		*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_records(&b, 99, in, 2), 0);
	/* The same bytes as the layout of PROTOCOL.md, written by hand. */
	pbuf_init(&hand);
	pbuf_put_u64(&hand, 99);
	pbuf_put_u32(&hand, 2);
	put_record(&hand, PROTO_EXISTS, 42, -7);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 12 + 2 * PROTO_RECORD_LEN);
	CHECK_EQ_MEM(b.data + PROTO_HDR_LEN, 12 + 20, hand.data, 12 + 20);
	CHECK_EQ_INT(proto_unpack_records(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &seq, out, 2, &cause), 0);
	CHECK_EQ_UINT(seq, 99);
	CHECK_EQ_UINT(out[0].state, PROTO_EXISTS);
	CHECK_EQ_UINT(out[0].seq, 42);
	CHECK_EQ_INT(out[0].wtime_ns, -7);
	CHECK_EQ_UINT(out[0].built_from, 40);
	CHECK_EQ_UINT(out[1].state, PROTO_UNWATCHED);
	CHECK_EQ_INT(out[1].wtime_ns, INT64_MAX);
	CHECK_EQ_UINT(out[1].built_from, UINT64_MAX);
	CHECK_EXACT(&b, PROTO_MSG_RECORDS, unpack_records_2);

	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_records(&b, 1, in, PROTO_MAX_PATHS + 1), -1);
	CHECK_EQ_UINT(b.len, 0);
	pbuf_free(&hand);
	pbuf_free(&b);
}

void
proto_empty_round_trip(void)
{
	static const struct {
		uint32_t	 type;
		const char	*cause;
	} e[] = {
		{ PROTO_MSG_SYNC, "sync has a payload" },
		{ PROTO_MSG_PING, "ping has a payload" },
		{ PROTO_MSG_PONG, "pong has a payload" },
		{ PROTO_MSG_IMAGE, "image has a payload" },
		{ PROTO_MSG_STATUS, "status has a payload" },
		{ PROTO_MSG_STOP, "stop has a payload" },
	};
	struct pbuf	 b;
	uint8_t		*copy;
	const char	*cause;
	size_t		 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof e / sizeof e[0]; i++) {
		pbuf_reset(&b);
		proto_pack_empty(&b, e[i].type);
		CHECK_EQ_UINT(b.len, PROTO_HDR_LEN);
		cause = NULL;
		CHECK_EQ_INT(proto_unpack_empty(e[i].type, b.data, 0, &cause),
		    0);
		copy = dup_bytes("x", 1);
		CHECK_EQ_INT(proto_unpack_empty(e[i].type, copy, 1, &cause),
		    -1);
		CHECK_EQ_STR(cause, e[i].cause);
		free(copy);
		copy = dup_bytes("\0\0\0\0\0\0\0\0", 8);
		cause = NULL;
		CHECK_EQ_INT(proto_unpack_empty(e[i].type, copy, 8, &cause),
		    -1);
		CHECK_EQ_STR(cause, e[i].cause);
		free(copy);
	}
	pbuf_free(&b);
}

void
proto_value_round_trip(void)
{
	static const uint32_t	 types[] = { PROTO_MSG_SYNC_OK,
				     PROTO_MSG_RUN_RECORDED,
				     PROTO_MSG_STOP_OK };
	static const uint64_t	 v[] = { 0, 1, 0x0102030405060708ULL,
				     UINT64_MAX };
	struct pbuf		 b;
	uint64_t		 got;
	const char		*cause = NULL;
	size_t			 i, j;

	pbuf_init(&b);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		for (j = 0; j < sizeof v / sizeof v[0]; j++) {
			pbuf_reset(&b);
			proto_pack_value(&b, types[i], v[j]);
			CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 8);
			got = 0;
			CHECK_EQ_INT(proto_unpack_value(types[i],
			    b.data + PROTO_HDR_LEN, 8, &got, &cause), 0);
			CHECK_EQ_UINT(got, v[j]);
			unpack_type = types[i];
			CHECK_EXACT(&b, types[i], unpack_value_any);
		}
	}
	CHECK_EQ_INT(proto_unpack_value(PROTO_MSG_STOP_OK, b.data, 0, &got,
	    &cause), -1);
	CHECK_EQ_STR(cause, "stop-ok is not one u64");
	pbuf_free(&b);
}

void
proto_run_done_round_trip(void)
{
	struct proto_run_done	 in = { "src/foo.o", 9, 1043, 1 }, out;
	struct pbuf		 b;
	const char		*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_run_done(&b, &in), 0);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 4 + 9 + 8 + 4);
	CHECK_EQ_INT(proto_unpack_run_done(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), 0);
	CHECK_EQ_MEM(out.target, out.targetlen, "src/foo.o", 9);
	CHECK_EQ_UINT(out.started, 1043);
	CHECK_EQ_UINT(out.status, 1);
	CHECK_EXACT(&b, PROTO_MSG_RUN_DONE, unpack_run_done_any);

	/* The root itself ("") is a canonical relpath too. */
	in.target = "";
	in.targetlen = 0;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_run_done(&b, &in), 0);
	CHECK_EXACT(&b, PROTO_MSG_RUN_DONE, unpack_run_done_any);
	pbuf_free(&b);
}

void
proto_run_done_bad_target_rejected(void)
{
	static const char *const bad[] = { "../x", "/etc/passwd", "a//b",
				     "a/", "./a", "a/.." };
	struct proto_run_done	 in = { NULL, 0, 2, 0 };
	struct pbuf		 b;
	char			*p;
	const char		*cause;
	size_t			 i;

	pbuf_init(&b);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		in.target = bad[i];
		in.targetlen = (uint32_t)strlen(bad[i]);
		pbuf_reset(&b);
		CHECK_EQ_INT(proto_pack_run_done(&b, &in), 0);
		cause = NULL;
		CHECK_EQ_INT(unpack_run_done_any(b.data + PROTO_HDR_LEN,
		    b.len - PROTO_HDR_LEN, &cause), -1);
		CHECK_EQ_STR(cause,
		    "run-done target is not a canonical relative path");
	}
	/* A NUL inside, and the length bound. */
	in.target = "a\0b";
	in.targetlen = 3;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_run_done(&b, &in), 0);
	CHECK_EQ_INT(unpack_run_done_any(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &cause), -1);
	p = xmalloc(PROTO_MAX_PATH + 1);
	memset(p, 'p', PROTO_MAX_PATH + 1);
	in.target = p;
	in.targetlen = PROTO_MAX_PATH;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_run_done(&b, &in), 0);
	CHECK_EXACT(&b, PROTO_MSG_RUN_DONE, unpack_run_done_any);
	in.targetlen++;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_run_done(&b, &in), -1);
	CHECK_EQ_UINT(b.len, 0);
	pbuf_free(&b);
	free(p);
}

void
proto_status_ok_round_trip(void)
{
	struct proto_status_item	 in[4], out[PROTO_MAX_STATUS];
	struct pbuf			 b;
	const char			*cause = NULL;

	memset(in, 0, sizeof in);
	in[0].key = "version";
	in[0].keylen = 7;
	in[0].kind = PROTO_STATUS_TEXT;
	in[0].text = "007";		/* text, though made of digits */
	in[0].textlen = 3;
	in[1].key = "seq";
	in[1].keylen = 3;
	in[1].kind = PROTO_STATUS_U64;
	in[1].u64 = UINT64_MAX;
	in[2].key = "last_rescan";
	in[2].keylen = 11;
	in[2].kind = PROTO_STATUS_I64;
	in[2].i64 = INT64_MIN;
	in[3].key = "";
	in[3].kind = PROTO_STATUS_TEXT;
	in[3].text = "";

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, in, 4), 0);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 4 + (4 + 7 + 4 + 4 + 3) +
	    (4 + 3 + 4 + 8) + (4 + 11 + 4 + 8) + (4 + 4 + 4));
	CHECK_EQ_INT(proto_unpack_status_ok(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, out, &cause), 4);
	CHECK_EQ_MEM(out[0].key, out[0].keylen, "version", 7);
	CHECK_EQ_UINT(out[0].kind, PROTO_STATUS_TEXT);
	CHECK_EQ_MEM(out[0].text, out[0].textlen, "007", 3);
	CHECK_EQ_UINT(out[1].kind, PROTO_STATUS_U64);
	CHECK_EQ_UINT(out[1].u64, UINT64_MAX);
	CHECK_EQ_UINT(out[2].kind, PROTO_STATUS_I64);
	CHECK_EQ_INT(out[2].i64, INT64_MIN);
	CHECK_EQ_UINT(out[3].keylen, 0);
	CHECK_EQ_UINT(out[3].textlen, 0);
	CHECK_EXACT(&b, PROTO_MSG_STATUS_OK, unpack_status_ok_any);

	/* No items. */
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, in, 0), 0);
	CHECK_EQ_INT(proto_unpack_status_ok(b.data + PROTO_HDR_LEN, 4, out,
	    &cause), 0);
	pbuf_free(&b);
}

void
proto_status_ok_bounds(void)
{
	struct proto_status_item	*items;
	struct pbuf			 b;
	char				 key[PROTO_MAX_KEY + 1];
	const char			*cause;
	uint32_t			 i;

	items = xcalloc(PROTO_MAX_STATUS + 1, sizeof *items);
	for (i = 0; i < PROTO_MAX_STATUS + 1; i++) {
		items[i].key = "k";
		items[i].keylen = 1;
		items[i].kind = PROTO_STATUS_U64;
		items[i].u64 = i;
	}
	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, items, PROTO_MAX_STATUS), 0);
	CHECK_EQ_INT(unpack_status_ok_any(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &cause), 0);
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, items, PROTO_MAX_STATUS + 1),
	    -1);
	CHECK_EQ_UINT(b.len, 0);

	/* By hand: one item too many, every item present. */
	pbuf_put_u32(&b, PROTO_MAX_STATUS + 1);
	for (i = 0; i < PROTO_MAX_STATUS + 1; i++) {
		pbuf_put_str(&b, "k");
		pbuf_put_u32(&b, PROTO_STATUS_U64);
		pbuf_put_u64(&b, i);
	}
	cause = NULL;
	CHECK_EQ_INT(unpack_status_ok_any(b.data, b.len, &cause), -1);
	CHECK_EQ_STR(cause, "status reply has too many items");

	/* A key of PROTO_MAX_KEY bytes, and one more. */
	memset(key, 'k', sizeof key);
	items[0].key = key;
	items[0].keylen = PROTO_MAX_KEY;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, items, 1), 0);
	CHECK_EXACT(&b, PROTO_MSG_STATUS_OK, unpack_status_ok_any);
	items[0].keylen++;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, items, 1), -1);
	CHECK_EQ_UINT(b.len, 0);
	pbuf_put_u32(&b, 1);
	pbuf_put_bytes(&b, key, PROTO_MAX_KEY + 1);
	pbuf_put_u32(&b, PROTO_STATUS_U64);
	pbuf_put_u64(&b, 0);
	cause = NULL;
	CHECK_EQ_INT(unpack_status_ok_any(b.data, b.len, &cause), -1);
	CHECK_EQ_STR(cause, "status key truncated or too long");

	/* A kind this version does not know, packed or received. */
	items[0].keylen = 1;
	items[0].kind = 4;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_status_ok(&b, items, 1), -1);
	CHECK_EQ_UINT(b.len, 0);
	pbuf_put_u32(&b, 1);
	pbuf_put_str(&b, "k");
	pbuf_put_u32(&b, 0);
	pbuf_put_u64(&b, 0);
	cause = NULL;
	CHECK_EQ_INT(unpack_status_ok_any(b.data, b.len, &cause), -1);
	CHECK_EQ_STR(cause, "status value of an unknown kind");
	pbuf_free(&b);
	free(items);
}

void
proto_error_round_trip(void)
{
	struct proto_error	 in = { PROTO_ERR_SYNC, "no cookie in 10 s",
				     17 }, out;
	struct pbuf		 b;
	char			*big;
	const char		*cause = NULL;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_error(&b, &in), 0);
	CHECK_EQ_INT(proto_unpack_error(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), 0);
	CHECK_EQ_UINT(out.code, PROTO_ERR_SYNC);
	CHECK_EQ_MEM(out.msg, out.msglen, "no cookie in 10 s", 17);
	CHECK_EXACT(&b, PROTO_MSG_ERROR, unpack_error_any);

	/* The longest message that fits PROTO_MAX_MSG, and one more. */
	big = xmalloc(PROTO_MAX_MSG);
	memset(big, 'e', PROTO_MAX_MSG);
	in.msg = big;
	in.msglen = PROTO_MAX_MSG - 8;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_error(&b, &in), 0);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + PROTO_MAX_MSG);
	in.msglen++;
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_error(&b, &in), -1);
	CHECK_EQ_UINT(b.len, 0);
	pbuf_free(&b);
	free(big);
}

void
proto_msg_name_every_type(void)
{
	static const struct {
		uint32_t	 type;
		const char	*name;
	} n[] = {
		{ PROTO_MSG_HELLO_OK, "hello-ok" },
		{ PROTO_MSG_SYNC, "sync" },
		{ PROTO_MSG_SYNC_OK, "sync-ok" },
		{ PROTO_MSG_PING, "ping" },
		{ PROTO_MSG_PONG, "pong" },
		{ PROTO_MSG_IMAGE, "image" },
		{ PROTO_MSG_RUN_DONE, "run-done" },
		{ PROTO_MSG_RUN_RECORDED, "run-recorded" },
		{ PROTO_MSG_STATUS, "status" },
		{ PROTO_MSG_STATUS_OK, "status-ok" },
		{ PROTO_MSG_STOP, "stop" },
		{ PROTO_MSG_STOP_OK, "stop-ok" },
		{ PROTO_MSG_SINCE, "since" },
		{ PROTO_MSG_CHANGES, "changes" },
		{ PROTO_MSG_WATCH, "watch" },
		{ PROTO_MSG_CHANGES_END, "changes-end" },
		{ PROTO_MSG_LOG, "log" },
	};
	size_t	i;

	for (i = 0; i < sizeof n / sizeof n[0]; i++)
		CHECK_EQ_STR(proto_msg_name(n[i].type), n[i].name);
	CHECK_EQ_STR(proto_msg_name(UINT32_MAX), "unknown");
}

static int
unpack_since_any(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_since	m;

	return (proto_unpack_since(p, len, &m, cause));
}

static int
unpack_watch_any(const uint8_t *p, size_t len, const char **cause)
{
	static const uint8_t	*paths[PROTO_MAX_PATHS];
	static uint32_t		 lens[PROTO_MAX_PATHS];
	struct proto_watch	 m;

	return (proto_unpack_watch(p, len, &m, paths, lens, cause) < 0 ?
	    -1 : 0);
}

static int
unpack_log_any(const uint8_t *p, size_t len, const char **cause)
{
	static const uint8_t	*paths[PROTO_MAX_PATHS];
	static uint32_t		 lens[PROTO_MAX_PATHS];
	uint32_t		 flags;
	uint64_t		 max;

	return (proto_unpack_log(p, len, &flags, &max, paths, lens,
	    cause) < 0 ? -1 : 0);
}

/* The changes a CHANGES unpack handed over, copied. */
static struct proto_change	chg[8];
static char			chg_paths[8][32];
static size_t			nchg;

static void
collect_change(void *arg, const struct proto_change *c)
{
	(void)arg;
	if (nchg == 8)
		return;
	chg[nchg] = *c;
	memcpy(chg_paths[nchg], c->path, c->pathlen);
	chg_paths[nchg][c->pathlen] = '\0';
	chg[nchg].path = chg_paths[nchg];
	nchg++;
}

static int
unpack_changes_any(const uint8_t *p, size_t len, const char **cause)
{
	nchg = 0;
	return (proto_unpack_changes(p, len, collect_change, NULL, cause) < 0 ?
	    -1 : 0);
}

static int
unpack_changes_end_any(const uint8_t *p, size_t len, const char **cause)
{
	struct proto_changes_end	m;

	return (proto_unpack_changes_end(p, len, &m, cause));
}

void
proto_since_round_trip(void)
{
	struct proto_since	 in = { PROTO_CHANGES_SYNC,
				     0x7dadb320d3dc9860ULL, 1042 }, out;
	struct pbuf		 b;
	const char		*cause = NULL;

	pbuf_init(&b);
	proto_pack_since(&b, &in);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 4 + 8 + 8);
	CHECK_EQ_INT(proto_unpack_since(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), 0);
	CHECK_EQ_UINT(out.flags, PROTO_CHANGES_SYNC);
	CHECK_EQ_UINT(out.db_id, 0x7dadb320d3dc9860ULL);
	CHECK_EQ_UINT(out.seq, 1042);
	CHECK_EXACT(&b, PROTO_MSG_SINCE, unpack_since_any);
	/* A flag this version does not know is malformed. */
	pbuf_reset(&b);
	in.flags = 0x2;
	proto_pack_since(&b, &in);
	CHECK_EQ_INT(proto_unpack_since(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), -1);
	pbuf_free(&b);
}

void
proto_watch_log_round_trip(void)
{
	static const uint8_t	*paths[PROTO_MAX_PATHS];
	static uint32_t		 lens[PROTO_MAX_PATHS];
	char			*in_paths[] = { "src", "", "include/x.h" };
	char			*bad[] = { "../etc" };
	struct proto_watch	 in = { PROTO_WATCH_SINCE, 9, 77 }, out;
	struct pbuf		 b;
	const char		*cause = NULL;
	uint32_t		 flags;
	uint64_t		 max;

	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_watch(&b, &in, in_paths, 3), 0);
	CHECK_EQ_INT(proto_unpack_watch(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, paths, lens, &cause), 3);
	CHECK_EQ_UINT(out.seq, 77);
	CHECK_EQ_MEM(paths[2], lens[2], "include/x.h", 11);
	CHECK_EQ_UINT(lens[1], 0);
	CHECK_EXACT(&b, PROTO_MSG_WATCH, unpack_watch_any);
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_log(&b, PROTO_CHANGES_SYNC, 10, in_paths, 1),
	    0);
	CHECK_EQ_INT(proto_unpack_log(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &flags, &max, paths, lens, &cause), 1);
	CHECK_EQ_UINT(max, 10);
	CHECK_EQ_MEM(paths[0], lens[0], "src", 3);
	CHECK_EXACT(&b, PROTO_MSG_LOG, unpack_log_any);
	/* A path that is not canonical is malformed. */
	pbuf_reset(&b);
	CHECK_EQ_INT(proto_pack_log(&b, 0, 0, bad, 1), 0);
	CHECK_EQ_INT(proto_unpack_log(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &flags, &max, paths, lens, &cause), -1);
	pbuf_free(&b);
}

void
proto_changes_round_trip(void)
{
	struct proto_change	 c[2] = {
		{ 17, PROTO_DELETED, 5, "old.c", 5 },
		{ 20, PROTO_WRITTEN, -1, "a b\nc", 5 },
	};
	struct proto_change	 mark = { 21, PROTO_RESCAN_OVERFLOW, 6, "", 0 };
	struct pbuf		 b;
	const char		*cause = NULL;
	size_t			 off;

	pbuf_init(&b);
	off = proto_changes_begin(&b);
	proto_changes_add(&b, &c[0]);
	proto_changes_add(&b, &c[1]);
	proto_changes_add(&b, &mark);
	proto_changes_end(&b, off, 3);
	CHECK_EQ_UINT(b.len, PROTO_HDR_LEN + 4 + 3 * PROTO_CHANGE_FIXED + 10);
	nchg = 0;
	CHECK_EQ_INT(proto_unpack_changes(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, collect_change, NULL, &cause), 3);
	CHECK_EQ_UINT(chg[0].seq, 17);
	CHECK_EQ_UINT(chg[0].what, PROTO_DELETED);
	CHECK_EQ_STR(chg[0].path, "old.c");
	CHECK_EQ_STR(chg[1].path, "a b\nc");
	CHECK_EQ_INT(chg[1].wtime_ns == -1, 1);
	CHECK_EQ_UINT(chg[2].what, PROTO_RESCAN_OVERFLOW);
	CHECK_EQ_UINT(chg[2].pathlen, 0);
	CHECK_EXACT(&b, PROTO_MSG_CHANGES, unpack_changes_any);
	/* An unknown kind of change, or a path that is not canonical. */
	pbuf_reset(&b);
	off = proto_changes_begin(&b);
	c[0].what = 6;
	proto_changes_add(&b, &c[0]);
	proto_changes_end(&b, off, 1);
	nchg = 0;
	CHECK_EQ_INT(proto_unpack_changes(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, collect_change, NULL, &cause), -1);
	CHECK_EQ_UINT(nchg, 0);		/* checked whole before any is told */
	pbuf_reset(&b);
	off = proto_changes_begin(&b);
	c[0].what = PROTO_CREATED;
	c[0].path = "a//b";
	c[0].pathlen = 4;
	proto_changes_add(&b, &c[0]);
	proto_changes_end(&b, off, 1);
	CHECK_EQ_INT(proto_unpack_changes(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, collect_change, NULL, &cause), -1);
	pbuf_free(&b);
}

void
proto_changes_end_round_trip(void)
{
	struct proto_changes_end	 in = { PROTO_END_FRESH | PROTO_END_LIVE,
					     3, 1042, 100 }, out;
	struct pbuf			 b;
	const char			*cause = NULL;

	pbuf_init(&b);
	proto_pack_changes_end(&b, &in);
	CHECK_EQ_INT(proto_unpack_changes_end(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), 0);
	CHECK_EQ_UINT(out.flags, PROTO_END_FRESH | PROTO_END_LIVE);
	CHECK_EQ_UINT(out.seq, 1042);
	CHECK_EQ_UINT(out.history_from, 100);
	CHECK_EXACT(&b, PROTO_MSG_CHANGES_END, unpack_changes_end_any);
	pbuf_reset(&b);
	in.flags = 0x10;
	proto_pack_changes_end(&b, &in);
	CHECK_EQ_INT(proto_unpack_changes_end(b.data + PROTO_HDR_LEN,
	    b.len - PROTO_HDR_LEN, &out, &cause), -1);
	pbuf_free(&b);
}
