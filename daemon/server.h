/*
 * The listening unix socket (ROOT/.depcheck/sock, or a short path
 * recorded in ROOT/.depcheck/sockpath) and the set of connections.
 */
#ifndef SERVER_H
#define SERVER_H

struct daemon;
struct server;
struct conn;

/* Bind and listen on path.  NULL and an allocated cause on failure. */
struct server	*server_new(struct daemon *, const char *, char **);
/* Close every connection and the socket; unlink the socket. */
void		 server_free(struct server *);
/* Does the socket's path still name the socket this server bound? */
int		 server_sock_intact(const struct server *);
/* The number of open connections. */
unsigned	 server_conn_count(const struct server *);
/* Called by conn.c when a connection's memory is freed. */
void		 server_conn_gone(struct server *, const struct conn *);

#endif
