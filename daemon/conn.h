/*
 * One connected client: frames in, replies out (proto/PROTOCOL.md).
 * Created by server.c on accept; freed in its close callback.
 */
#ifndef CONN_H
#define CONN_H

#include <uv.h>

struct daemon;
struct server;
struct conn;

/* A new connection, initialised on the server's loop; owned by server.c. */
struct conn	*conn_new(struct daemon *, struct server *);
uv_stream_t	*conn_stream(struct conn *);
/* Start reading; if busy, reply with an error and close instead. */
void		 conn_start(struct conn *, int);
void		 conn_close(struct conn *);
/* The server is going away first: do not tell it when this conn goes. */
void		 conn_detach(struct conn *);

#endif
