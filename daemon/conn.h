/*
 * One connected client: frames in, replies out (proto/PROTOCOL.md).
 * Created by server.c on accept; freed in its close callback.
 */
#ifndef CONN_H
#define CONN_H

#include <uv.h>

struct daemon;
struct conn;
struct pbuf;

/* Told, with its argument, when a connection's memory is freed. */
typedef void (*conn_gone_cb)(void *, const struct conn *);

/*
 * A new connection, initialised on the daemon's loop; owned by whoever
 * accepted it (server.c), whom gone tells when it is freed.
 */
struct conn	*conn_new(struct daemon *, conn_gone_cb, void *);
uv_stream_t	*conn_stream(struct conn *);
/* Start reading; if busy, reply with an error and close instead. */
void		 conn_start(struct conn *, int);
void		 conn_close(struct conn *);
/*
 * Served and idle: a request past HELLO was answered, nothing is unread,
 * unsent or waiting.  Closing it costs its client a reconnect (depcheck
 * run holds one while its command runs), never an answer.
 */
int		 conn_idle_served(const struct conn *);
/* The owner is going away first: do not tell it when this conn goes. */
void		 conn_detach(struct conn *);

/* What a subscriber may fall behind by, unless its request says. */
#define CONN_SUB_CAP	((size_t)1024 * 1024)

/*
 * Make a connection past its HELLO (a request's answer does it) a
 * subscriber: the daemon pushes frames with conn_push, there is no idle
 * timeout, and at most cap bytes may wait unsent.
 */
void		 conn_subscribe(struct conn *, size_t);
/*
 * Queue a frame (the pbuf is taken over) for a subscriber.  Returns 0, or
 * -1 when the subscriber is past its cap, or was: the frame is dropped,
 * the subscriber gets one ERROR overrun, and the connection closes.
 */
int		 conn_push(struct conn *, struct pbuf *);
/* Bytes queued for the client that the kernel has not taken yet. */
size_t		 conn_unsent(struct conn *);

#endif
