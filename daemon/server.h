/*
 * The listening unix socket (ROOT/.depcheck/sock, or a short path
 * recorded in ROOT/.depcheck/sockpath) and the set of connections.
 */
#ifndef SERVER_H
#define SERVER_H

struct daemon;
struct server;

/* Bind and listen on path.  NULL and an allocated cause on failure. */
struct server	*server_new(struct daemon *, const char *, char **);
/* Close every connection and the socket; unlink the socket. */
void		 server_free(struct server *);

#endif
