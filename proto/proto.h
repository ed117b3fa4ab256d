/*
 * The wire protocol between depcheckd and depcheck: message numbers, frame
 * layout and the pack/unpack helpers.  This header is the contract; it is
 * the only code the daemon and the client share (with proto.c; the
 * allocators are in xmalloc.h).
 * proto/PROTOCOL.md describes the same in prose, with a worked example.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

/* bump when any message below changes */
#define PROTO_VERSION		3

/* A frame is an 8-byte header (type, payload length; big-endian) + payload. */
#define PROTO_HDR_LEN		8
/* Upper bound on a payload, checked before anything is allocated. */
#define PROTO_MAX_MSG		((size_t)1024 * 1024)
/* Upper bound on one path, in bytes (PATH_MAX, without the NUL). */
#define PROTO_MAX_PATH		4095
/* Upper bound on the paths of one QUERY. */
#define PROTO_MAX_PATHS		4096

enum proto_msg {
	/* 1xx handshake */
	PROTO_MSG_HELLO = 100,		/* u32 version, bytes client name */
	PROTO_MSG_HELLO_OK = 101,	/* u32 version, u64 pid, bytes root */

	/* 2xx queries */
	PROTO_MSG_QUERY = 200,		/* u32 flags, u32 n, n x bytes relpath */
	PROTO_MSG_RECORDS = 201,	/* u64 seq, u32 n, n x record */
	PROTO_MSG_SYNC = 202,		/* (empty) */
	PROTO_MSG_SYNC_OK = 203,	/* u64 seq */
	PROTO_MSG_PING = 204,		/* (empty) */
	PROTO_MSG_PONG = 205,		/* (empty) */
	PROTO_MSG_RUN_DONE = 210,	/* bytes target, u64 started, u32 status */
	PROTO_MSG_RUN_RECORDED = 211,	/* u64 finished */

	/* 3xx control */
	PROTO_MSG_STATUS = 300,		/* (empty) */
	PROTO_MSG_STATUS_OK = 301,	/* u32 n, n x (bytes key, bytes value) */
	PROTO_MSG_STOP = 302,		/* (empty) */
	PROTO_MSG_STOP_OK = 303,	/* u64 pid */

	/* 9xx errors */
	PROTO_MSG_ERROR = 900,		/* u32 code, bytes message */
};

/* QUERY flags */
#define PROTO_QUERY_SYNC	0x1	/* wait until every earlier write is seen */
#define PROTO_QUERY_ALL		0x1	/* every flag known to this version */

/* The state of one path in a RECORDS reply. */
enum proto_state {
	PROTO_MISSING = 0,	/* known not to exist (seq: when it went) */
	PROTO_EXISTS = 1,	/* exists, last written at seq */
	PROTO_UNWATCHED = 2,	/* the daemon cannot vouch: use mtime rules */
};

/* ERROR codes */
enum proto_err {
	PROTO_ERR_MALFORMED = 1,	/* bad frame or payload; conn closed */
	PROTO_ERR_VERSION = 2,		/* handshake version mismatch */
	PROTO_ERR_UNKNOWN = 3,		/* unknown message type */
	PROTO_ERR_SYNC = 4,		/* could not sync within the bound */
	PROTO_ERR_BUSY = 5,		/* too many connections */
	PROTO_ERR_INTERNAL = 6,		/* database or other daemon trouble */
	PROTO_ERR_STATE = 7,		/* message not valid in this state */
};

/*
 * One record of a RECORDS reply: u32 state, u64 seq, i64 wtime_ns,
 * u64 built_from.
 */
struct proto_record {
	uint32_t	state;
	uint64_t	seq;
	int64_t		wtime_ns;	/* wall clock of the write, 0 unknown */
	uint64_t	built_from;	/* recorded build started here, or 0 */
};
#define PROTO_RECORD_LEN	28
/*
 * built_from of a target last written by a recipe that failed: every
 * dependency counts as newer.  (A real build starts after a sync, at a
 * seq of 2 or more: the root itself has seq 1.)
 */
#define PROTO_BUILT_FAILED	1

/* A growable output buffer; pack functions append to it. */
struct pbuf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

/* A cursor over a received payload; get functions consume from it. */
struct preader {
	const uint8_t	*p;
	size_t		 left;
};

void	 pbuf_init(struct pbuf *);
void	 pbuf_free(struct pbuf *);
void	 pbuf_reset(struct pbuf *);
void	 pbuf_put_u32(struct pbuf *, uint32_t);
void	 pbuf_put_u64(struct pbuf *, uint64_t);
void	 pbuf_put_bytes(struct pbuf *, const void *, size_t);
void	 pbuf_put_str(struct pbuf *, const char *);

/*
 * Start a frame of the given type: writes a header whose length is patched
 * by proto_end().  Returns the offset of the header, for proto_end().
 */
size_t	 proto_begin(struct pbuf *, uint32_t type);
void	 proto_end(struct pbuf *, size_t);

/*
 * Decode a frame header.  Returns 0 and fills type and len, or -1 with a
 * static cause when the length exceeds PROTO_MAX_MSG.
 */
int	 proto_unpack_header(const uint8_t *, uint32_t *, uint32_t *,
	     const char **);

void	 preader_init(struct preader *, const void *, size_t);
int	 preader_u32(struct preader *, uint32_t *);
int	 preader_u64(struct preader *, uint64_t *);
/* Borrow a length-prefixed byte string (not NUL-terminated) of <= max. */
int	 preader_bytes(struct preader *, const uint8_t **, uint32_t *,
	     uint32_t);
/* 0 when the whole payload was consumed, -1 when bytes are left over. */
int	 preader_end(struct preader *);

/*
 * Unpack a QUERY payload.  paths[] receives pointers into the payload
 * (borrowed) and lens[] their lengths; both must hold PROTO_MAX_PATHS.
 * Returns the number of paths, or -1 with a static cause.  A path that is
 * empty is the root; a path with a NUL byte, a leading or trailing '/',
 * an empty, '.' or '..' component is malformed.
 */
int	 proto_unpack_query(const uint8_t *, size_t, uint32_t *,
	     const uint8_t **, uint32_t *, const char **);

/*
 * Is p (len bytes) a relpath in canonical form: no NUL, no leading or
 * trailing '/', no empty, '.' or '..' component ("" is the root)?
 */
int	 proto_relpath_ok(const uint8_t *, uint32_t);

/* Pack a QUERY frame for n relpaths.  Returns 0, or -1 if too large. */
int	 proto_pack_query(struct pbuf *, uint32_t, char *const *, size_t);

/*
 * Unpack a RECORDS payload into recs[] (n entries expected).  Returns 0,
 * or -1 with a static cause.
 */
int	 proto_unpack_records(const uint8_t *, size_t, uint64_t *,
	     struct proto_record *, uint32_t, const char **);

/* Append one record of a RECORDS reply. */
void	 proto_pack_record(struct pbuf *, const struct proto_record *);

/* A name for a message type, for logs; "unknown" for others. */
const char *proto_msg_name(uint32_t);

#endif
