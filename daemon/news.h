/*
 * What changed, for clients: `depcheck since` and `log` (answers read
 * from the history, hist.c) and `depcheck watch` (a replay from the
 * history, then every commit's writes as they are committed).  A stream
 * writes its frames through a sink its connection gives it (conn.c), so
 * that this module does not call the connection back.
 */
#ifndef NEWS_H
#define NEWS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct news;
struct news_stream;
struct pbuf;

/* Where a stream's frames go: its connection. */
struct news_sink {
	void	*arg;
	/* Bytes the connection may still queue for a subscriber. */
	size_t	(*room)(void *);
	/* Queue a frame (taken over). */
	void	(*push)(void *, struct pbuf *);
	/*
	 * The last frame of the answer (taken over).  close: the
	 * connection ends after it (a watch that fell behind); else it
	 * reads requests again, and the stream is freed (news_cancel).
	 */
	void	(*finish)(void *, struct pbuf *, int);
	/* The answer failed (one line): an error, and the stream ends. */
	void	(*fail)(void *, const char *);
};

/* The news of d, told by its batch after every commit. */
struct news	*news_new(struct daemon *);
void		 news_free(struct news *);
/* Watchers connected now (depcheck status). */
size_t		 news_watchers(struct news *);

/*
 * The answers: since (each path changed after seq of database db_id
 * once), log (the last max entries, 0 all, at or under prefixes) and
 * watch (with since, a replay after seq first; then live).  The sink is
 * copied, the prefixes too.  Answers start at what is committed now.
 */
struct news_stream *news_since(struct news *, const struct news_sink *,
		     uint64_t, uint64_t);
struct news_stream *news_log(struct news *, const struct news_sink *,
		     uint64_t, char *const *, size_t);
struct news_stream *news_watch(struct news *, const struct news_sink *,
		     int, uint64_t, uint64_t, char *const *, size_t);
/* Is s a watch past its replay (its reader paces nothing here)? */
int		 news_live(const struct news_stream *);
/* Everything the sink was given went out: the next frame may follow. */
void		 news_sent(struct news_stream *);
/* The connection is going, or took the last frame: free the stream. */
void		 news_cancel(struct news_stream *);

#endif
