/*
 * The wire protocol between depcheckd and depcheck: message numbers, frame
 * layout and the pack/unpack helpers.  This header is the contract; it is
 * the only code the daemon and the client share (with proto.c; the
 * allocators are in xmalloc.h).
 * proto/PROTOCOL.md describes the same in prose, with a worked example.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* bump when any message below changes */
#define PROTO_VERSION		6

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
	PROTO_MSG_IMAGE = 206,		/* (empty): sync, and publish the
					   image; answered by SYNC_OK */
	PROTO_MSG_RUN_DONE = 210,	/* bytes target, u64 started, u32 status */
	PROTO_MSG_RUN_RECORDED = 211,	/* u64 finished */

	/* 22x what changed: replies are CHANGES frames, then CHANGES_END */
	PROTO_MSG_SINCE = 220,		/* u32 flags, u64 db id, u64 seq */
	PROTO_MSG_CHANGES = 221,	/* u32 n, n x change */
	PROTO_MSG_WATCH = 222,		/* u32 flags, u64 db id, u64 seq,
					   u32 n, n x bytes relpath */
	PROTO_MSG_CHANGES_END = 223,	/* u32 flags, u64 db id, u64 seq,
					   u64 history from */
	PROTO_MSG_LOG = 224,		/* u32 flags, u64 max, u32 n,
					   n x bytes relpath */

	/* 3xx control */
	PROTO_MSG_STATUS = 300,		/* (empty) */
	PROTO_MSG_STATUS_OK = 301,	/* u32 n, n x (bytes key, value) */
	PROTO_MSG_STOP = 302,		/* (empty) */
	PROTO_MSG_STOP_OK = 303,	/* u64 pid */

	/* 9xx errors */
	PROTO_MSG_ERROR = 900,		/* u32 code, bytes message */
};

/* QUERY flags */
#define PROTO_QUERY_SYNC	0x1	/* wait until every earlier write is seen */
#define PROTO_QUERY_ALL		0x1	/* every flag known to this version */

/* SINCE, WATCH and LOG flags */
#define PROTO_CHANGES_SYNC	0x1	/* SINCE, LOG: sync first */
#define PROTO_WATCH_SINCE	0x2	/* WATCH: replay after the seq first */

/* CHANGES_END flags */
#define PROTO_END_FRESH		0x1	/* the token was not usable: every
					   existing path was listed */
#define PROTO_END_LIVE		0x2	/* WATCH: live changes follow */
#define PROTO_END_OVERRUN	0x4	/* WATCH: fell behind; closed.  The
					   seq: every change up to it was
					   sent */
#define PROTO_END_PARTIAL	0x8	/* directories that could not be
					   watched (or on remote file
					   systems) exist: their changes
					   are not in the answer */

/*
 * What a change in a CHANGES frame was.  Below PROTO_FRESH: a write of
 * the path (the history's rows, and what a record last saw).  From
 * PROTO_BUILD_START: entries of the history that are no write: a
 * recorded build of the path (depcheck run), or, with an empty path,
 * the daemon starting or rescanning (the writes of its reconciliation
 * follow, at higher seqs).
 */
enum proto_what {
	PROTO_WRITTEN = 0,		/* existed before, exists */
	PROTO_CREATED = 1,		/* did not exist before */
	PROTO_DELETED = 2,
	PROTO_FOUND = 3,		/* by a crawl, no record before */
	PROTO_RESTAMPED = 4,		/* by a crawl: changed unobserved */
	PROTO_FRESH = 5,		/* exists (a fresh answer's listing) */
	PROTO_BUILD_START = 16,		/* seq: where the recipe started */
	PROTO_BUILD_END = 17,		/* seq: what it holds up to */
	PROTO_BUILD_FAILED = 18,
	PROTO_START = 32,		/* a daemon started */
	PROTO_RESCAN_OVERFLOW = 33,	/* the event queue overflowed */
	PROTO_RESCAN_LOST = 34,		/* a watch was lost */
};

/* The state of one path in a RECORDS reply. */
enum proto_state {
	PROTO_MISSING = 0,	/* known not to exist (seq: when it went) */
	PROTO_EXISTS = 1,	/* exists, last written at seq */
	PROTO_UNWATCHED = 2,	/* the daemon cannot vouch: use mtime rules */
	PROTO_FIRST_SIGHT = 3,	/* exists, found by the first crawl of the
				   root and never seen written since: against
				   another such file, mtimes decide (equal is
				   stale); against any other, seqs */
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
	PROTO_ERR_OVERRUN = 8,		/* subscriber fell behind; closed */
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
 * Is p (len bytes) a relpath in canonical form: no NUL, no leading or
 * trailing '/', no empty, '.' or '..' component ("" is the root)?
 */
int	 proto_relpath_ok(const uint8_t *, uint32_t);

/*
 * One codec per message (msg.c).  proto_pack_X appends a whole frame
 * (header and payload) to the pbuf; one that can exceed a bound returns
 * -1 and leaves the pbuf as it was.  proto_unpack_X takes a payload (the
 * bytes after the header), checks every length and bound before using
 * it, accepts it only if it is consumed exactly, and fills a struct
 * whose byte strings point into the payload (borrowed, not
 * NUL-terminated).  On failure it returns -1 with a static cause, the
 * sentence the daemon sends in its ERROR reply.  What unpacks packs again
 * to the same bytes (tests/fuzz/fuzz-proto.c checks it).
 */

/* Upper bound on a HELLO's client name. */
#define PROTO_MAX_NAME		256

/* HELLO: the client's protocol version and name. */
struct proto_hello {
	uint32_t	 version;
	const char	*name;
	uint32_t	 namelen;
};
int	 proto_pack_hello(struct pbuf *, const struct proto_hello *);
/* Any defect is "malformed hello"; a version is checked by the caller. */
int	 proto_unpack_hello(const uint8_t *, size_t, struct proto_hello *,
	     const char **);

/* HELLO_OK: the daemon's protocol version, pid and root. */
struct proto_hello_ok {
	uint32_t	 version;
	uint64_t	 pid;
	const char	*root;
	uint32_t	 rootlen;
};
int	 proto_pack_hello_ok(struct pbuf *, const struct proto_hello_ok *);
int	 proto_unpack_hello_ok(const uint8_t *, size_t,
	     struct proto_hello_ok *, const char **);

/*
 * QUERY.  Pack n relpaths; -1 if there are too many or one is too long.
 * Unpack: paths[] receives pointers into the payload (borrowed) and
 * lens[] their lengths; both must hold PROTO_MAX_PATHS.  Returns the
 * number of paths, or -1 with a static cause.  Every path must pass
 * proto_relpath_ok; unknown flags are malformed.
 */
int	 proto_pack_query(struct pbuf *, uint32_t, char *const *, size_t);
int	 proto_unpack_query(const uint8_t *, size_t, uint32_t *,
	     const uint8_t **, uint32_t *, const char **);

/*
 * RECORDS: the high-water seq and one record per path asked.  Pack: -1
 * if n > PROTO_MAX_PATHS.  Unpack into recs[], which holds want entries:
 * the reply must carry exactly that many.
 */
int	 proto_pack_records(struct pbuf *, uint64_t,
	     const struct proto_record *, uint32_t);
int	 proto_unpack_records(const uint8_t *, size_t, uint64_t *,
	     struct proto_record *, uint32_t, const char **);

/*
 * The messages whose payload is empty: SYNC, PING, PONG, STATUS and
 * STOP.  Unpack rejects any payload ("ping has a payload").  Calling
 * either with another type is a bug (abort).
 */
void	 proto_pack_empty(struct pbuf *, uint32_t);
int	 proto_unpack_empty(uint32_t, const uint8_t *, size_t,
	     const char **);

/*
 * The messages whose payload is one u64: SYNC_OK (seq), RUN_RECORDED
 * (finished) and STOP_OK (pid).  Another type is a bug (abort).
 */
void	 proto_pack_value(struct pbuf *, uint32_t, uint64_t);
int	 proto_unpack_value(uint32_t, const uint8_t *, size_t, uint64_t *,
	     const char **);

/* RUN_DONE: a recipe run by "depcheck run" for target ended. */
struct proto_run_done {
	const char	*target;	/* a canonical relpath */
	uint32_t	 targetlen;
	uint64_t	 started;	/* high-water seq at the check + 1 */
	uint32_t	 status;	/* 0 ok, otherwise failed */
};
/* -1 if the target is longer than PROTO_MAX_PATH. */
int	 proto_pack_run_done(struct pbuf *, const struct proto_run_done *);
/* A target that is not a canonical relpath is malformed. */
int	 proto_unpack_run_done(const uint8_t *, size_t,
	     struct proto_run_done *, const char **);

/* Upper bounds on a STATUS_OK: items, and bytes of a key. */
#define PROTO_MAX_STATUS	256
#define PROTO_MAX_KEY		256

/* The type of a STATUS_OK value. */
enum proto_status_kind {
	PROTO_STATUS_TEXT = 1,		/* bytes */
	PROTO_STATUS_U64 = 2,		/* u64 */
	PROTO_STATUS_I64 = 3,		/* i64, sent as the u64 of its bits */
};

/* One item of a STATUS_OK: a key and a typed value. */
struct proto_status_item {
	const char	*key;
	uint32_t	 keylen;
	uint32_t	 kind;		/* enum proto_status_kind */
	uint64_t	 u64;		/* PROTO_STATUS_U64 */
	int64_t		 i64;		/* PROTO_STATUS_I64 */
	const char	*text;		/* PROTO_STATUS_TEXT */
	uint32_t	 textlen;
};
/*
 * Pack n items; -1 if n > PROTO_MAX_STATUS, a key is longer than
 * PROTO_MAX_KEY, a kind is unknown or the payload would pass
 * PROTO_MAX_MSG.
 */
int	 proto_pack_status_ok(struct pbuf *,
	     const struct proto_status_item *, uint32_t);
/*
 * Unpack into items[], which holds PROTO_MAX_STATUS.  Returns the number
 * of items, or -1 with a static cause.
 */
int	 proto_unpack_status_ok(const uint8_t *, size_t,
	     struct proto_status_item *, const char **);

/* ERROR: a code (enum proto_err) and a one-line message. */
struct proto_error {
	uint32_t	 code;
	const char	*msg;
	uint32_t	 msglen;
};
/* -1 if the message does not fit in PROTO_MAX_MSG. */
int	 proto_pack_error(struct pbuf *, const struct proto_error *);
int	 proto_unpack_error(const uint8_t *, size_t, struct proto_error *,
	     const char **);

/* SINCE: what changed after seq of database id (0: list everything). */
struct proto_since {
	uint32_t	 flags;		/* PROTO_CHANGES_SYNC */
	uint64_t	 db_id;
	uint64_t	 seq;
};
void	 proto_pack_since(struct pbuf *, const struct proto_since *);
int	 proto_unpack_since(const uint8_t *, size_t, struct proto_since *,
	     const char **);

/*
 * WATCH (flags PROTO_WATCH_SINCE, then db_id and seq) and LOG (flags
 * PROTO_CHANGES_SYNC, the last max entries, 0 all): limited to the paths
 * at or under n relpaths ("" the root; none: everything).  Unpack:
 * paths[] and lens[] hold PROTO_MAX_PATHS, as for QUERY; returns n.
 */
struct proto_watch {
	uint32_t	 flags;
	uint64_t	 db_id;
	uint64_t	 seq;
};
int	 proto_pack_watch(struct pbuf *, const struct proto_watch *,
	     char *const *, size_t);
int	 proto_unpack_watch(const uint8_t *, size_t, struct proto_watch *,
	     const uint8_t **, uint32_t *, const char **);
int	 proto_pack_log(struct pbuf *, uint32_t, uint64_t, char *const *,
	     size_t);
int	 proto_unpack_log(const uint8_t *, size_t, uint32_t *, uint64_t *,
	     const uint8_t **, uint32_t *, const char **);

/* One change of a CHANGES frame: u64 seq, u32 what, i64 wtime, bytes path. */
struct proto_change {
	uint64_t	 seq;
	uint32_t	 what;		/* enum proto_what */
	int64_t		 wtime_ns;	/* wall clock of the write, 0 unknown */
	const char	*path;		/* a canonical relpath ("": markers) */
	uint32_t	 pathlen;
};
/*
 * CHANGES is built a change at a time: begin, add (while it fits), end.
 * A frame of no change is never sent.
 */
#define PROTO_CHANGE_FIXED	24	/* bytes of a change besides its path */
size_t	 proto_changes_begin(struct pbuf *);
void	 proto_changes_add(struct pbuf *, const struct proto_change *);
void	 proto_changes_end(struct pbuf *, size_t, uint32_t);
/*
 * Unpack a CHANGES payload: call fn(arg, change) for each change (its
 * path borrowed), in order, after the whole frame was checked.  An
 * unknown what, a path that is not canonical or trailing bytes are
 * malformed.  Returns the number of changes, or -1 with a static cause.
 */
int	 proto_unpack_changes(const uint8_t *, size_t,
	     void (*)(void *, const struct proto_change *), void *,
	     const char **);
/* Is what a known enum proto_what? */
int	 proto_what_ok(uint32_t);

/* CHANGES_END: the answer is complete (see the flags). */
struct proto_changes_end {
	uint32_t	 flags;
	uint64_t	 db_id;
	uint64_t	 seq;		/* the token: every change up to it */
	uint64_t	 history_from;	/* the kept history begins after it */
};
void	 proto_pack_changes_end(struct pbuf *,
	     const struct proto_changes_end *);
int	 proto_unpack_changes_end(const uint8_t *, size_t,
	     struct proto_changes_end *, const char **);

/* A name for a message type, for logs; "unknown" for others. */
const char *proto_msg_name(uint32_t);

#endif
