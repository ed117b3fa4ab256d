/*
 * Reading the write history for `depcheck since`, `watch --since` and
 * `log` (hist.c): one query over a read-only connection of its own, run in
 * libuv's thread pool a frame at a time, so that an answer of a million
 * changes neither stops the loop nor sits in memory.  The connection
 * reads one snapshot: a commit that lands meanwhile is not seen.  Used by
 * news.c.
 */
#ifndef HIST_H
#define HIST_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "proto.h"

enum hist_kind {
	HIST_SINCE,	/* each path once, its last write (since) */
	HIST_REPLAY,	/* every write and start or rescan (watch) */
	HIST_LOG,	/* every entry, the last max (log) */
};

struct hist_req {
	enum hist_kind	 kind;
	/*
	 * SINCE and REPLAY: changes after seq from of database db_id, up to
	 * seq to.  When db_id is not this database's or the history no
	 * longer holds everything after from, the answer is fresh: every
	 * path that exists (as of to) instead.
	 */
	uint64_t	 db_id;
	uint64_t	 from;
	uint64_t	 to;
	uint64_t	 max;		/* LOG: the last max entries, 0 all */
	/* REPLAY and LOG: only paths at or under these ("" is the root). */
	char		**prefixes;
	size_t		 nprefixes;
};

/* How an answer ended. */
struct hist_end {
	int		 fresh;		/* listed every existing path */
	uint64_t	 db_id;		/* of the database read */
	uint64_t	 history_from;	/* it holds every write after */
};

struct hist;

/*
 * Each frame of the answer: frame holds one CHANGES frame (taken over by
 * the callee), or is NULL when the answer is complete (end is set) or
 * failed (cause says why; one line).  After a frame, hist_next() asks for
 * the next; after the end or a failure the hist is freed.
 */
typedef void	(*hist_fn)(void *, struct pbuf *, const struct hist_end *,
		    const char *);

/* Start reading dbpath for req (copied) on loop's pool. */
struct hist	*hist_start(uv_loop_t *, const char *, const struct hist_req *,
		     hist_fn, void *);
void		 hist_next(struct hist *);
/* Stop: nothing more is called; freed once the pool lets go of it. */
void		 hist_cancel(struct hist *);
/*
 * Does path (len bytes) lie at or under one of n prefixes (every path
 * does when n is 0; "" is the root)?
 */
int		 hist_under(char *const *, size_t, const char *, size_t);

/* Payload bytes a CHANGES frame holds before the next one begins. */
#define HIST_FRAME	((size_t)64 * 1024)

#endif
