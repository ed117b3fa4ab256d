/*
 * The listening socket (see server.h).  Created by main.c once the tree
 * is watched; every accepted connection becomes a struct conn.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "xmalloc.h"
#include "conn.h"
#include "daemon.h"
#include "life.h"
#include "log.h"
#include "server.h"

struct server_conn {
	TAILQ_ENTRY(server_conn) entry;
	struct conn	*conn;
};

struct server {
	struct daemon	*d;
	uv_pipe_t	 pipe;
	char		*path;
	unsigned	 nconns;
	unsigned long	 refused;	/* connections from other users */
	struct stat	 sock_st;	/* the socket we bound */
	TAILQ_HEAD(, server_conn) conns;
};

#define SERVER_LOG_REFUSED	10

static void	 server_accept_cb(uv_stream_t *, int);
static void	 server_conn_gone_cb(void *, const struct conn *);
static int	 server_sock_intact(const struct server *);
static int	 server_reclaim(struct server *);

/*
 * Bind path by hand and give libuv the descriptor: a handle that
 * uv_pipe_bind() named unlinks that name when it closes, whoever's socket
 * is there by then -- a newer daemon's, if our state directory was
 * replaced (tests/integ/t5021-state-dir-life.sh).  server_free() removes
 * ours, and only ours.  Returns 0 or a libuv error.
 */
static int
server_bind(struct server *s, const char *path)
{
	struct sockaddr_un	sun;
	int			fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (UV_ENAMETOOLONG);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return (uv_translate_sys_error(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		rc = uv_translate_sys_error(errno);
		close(fd);
		return (rc);
	}
	if ((rc = uv_pipe_open(&s->pipe, fd)) != 0) {
		close(fd);
		unlink(path);
	}
	return (rc);
}

struct server *
server_new(struct daemon *d, const char *path, char **cause)
{
	struct server	*s;
	int		 rc;

	s = xcalloc(1, sizeof *s);
	s->d = d;
	s->path = xstrdup(path);
	TAILQ_INIT(&s->conns);
	uv_pipe_init(d->loop, &s->pipe, 0);
	s->pipe.data = s;
	/* We hold the lock: a socket left here is stale. */
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = uv_translate_sys_error(errno);
		goto fail;
	}
	if ((rc = server_bind(s, path)) != 0)
		goto fail;
	if (chmod(path, 0600) != 0 || lstat(path, &s->sock_st) != 0) {
		rc = uv_translate_sys_error(errno);
		goto fail;
	}
	if ((rc = uv_listen((uv_stream_t *)&s->pipe, 128,
	    server_accept_cb)) != 0)
		goto fail;
	return (s);
fail:
	xasprintf(cause, "cannot listen on '%s': %s", path, uv_strerror(rc));
	uv_close((uv_handle_t *)&s->pipe, NULL);
	free(s->path);
	free(s);
	return (NULL);
}

/*
 * Only our own user may talk to us: the socket is 0600 in a 0700
 * directory, and the peer's uid is checked too (SO_PEERCRED), in case the
 * socket lives in a shared directory.  Refusals are logged (the first
 * SERVER_LOG_REFUSED, then counted).
 */
static int
server_peer_ok(struct server *s, struct conn *c)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	uv_os_fd_t	fd;

	if (uv_fileno((uv_handle_t *)conn_stream(c), &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("cannot check a peer's credentials: %s",
		    strerror(errno));
		return (0);
	}
	if (cred.uid == getuid())
		return (1);
	if (s->refused++ < SERVER_LOG_REFUSED)
		log_warn("refused a connection from uid %u (pid %ld): this"
		    " daemon answers uid %u only", (unsigned)cred.uid,
		    (long)cred.pid, (unsigned)getuid());
	return (0);
}

static void
server_accept_cb(uv_stream_t *h, int status)
{
	struct server		*s = h->data;
	struct server_conn	*sc;
	struct conn		*c;

	if (status != 0) {
		log_warn("cannot accept a connection on '%s': %s",
		    log_esc(s->path), uv_strerror(status));
		return;
	}
	c = conn_new(s->d, server_conn_gone_cb, s);
	if (uv_accept(h, conn_stream(c)) != 0) {
		conn_close(c);
		return;
	}
	if (!server_peer_ok(s, c)) {
		conn_close(c);
		return;
	}
	sc = xcalloc(1, sizeof *sc);
	sc->conn = c;
	TAILQ_INSERT_TAIL(&s->conns, sc, entry);
	s->nconns++;
	life_conns(s->d->life, s->nconns);
	conn_start(c, s->nconns > s->d->max_conns && !server_reclaim(s));
}

/*
 * At --max-connections, make room by closing the oldest connection that
 * was served and sits idle (a depcheck run waiting for its command):
 * its client reconnects when it needs to, where a refused one would fail
 * its recipe.  0 when every connection is busy.
 */
static int
server_reclaim(struct server *s)
{
	struct server_conn	*sc;

	TAILQ_FOREACH(sc, &s->conns, entry) {
		if (conn_idle_served(sc->conn)) {
			log_info("at --max-connections (%u): closing an idle"
			    " connection for a new one", s->d->max_conns);
			conn_close(sc->conn);
			return (1);
		}
	}
	return (0);
}

/* conn.c's word that a connection's memory is freed. */
static void
server_conn_gone_cb(void *arg, const struct conn *c)
{
	struct server		*s = arg;
	struct server_conn	*sc;

	TAILQ_FOREACH(sc, &s->conns, entry) {
		if (sc->conn == c) {
			TAILQ_REMOVE(&s->conns, sc, entry);
			free(sc);
			s->nconns--;
			life_conns(s->d->life, s->nconns);
			return;
		}
	}
}

static void
server_close_cb(uv_handle_t *h)
{
	struct server	*s = h->data;

	free(s->path);
	free(s);
}

void
server_free(struct server *s)
{
	struct server_conn	*sc;

	if (s == NULL)
		return;
	while ((sc = TAILQ_FIRST(&s->conns)) != NULL) {
		TAILQ_REMOVE(&s->conns, sc, entry);
		conn_detach(sc->conn);
		conn_close(sc->conn);
		free(sc);
	}
	/* Not a newer daemon's, bound at the same path (t5021). */
	if (server_sock_intact(s))
		unlink(s->path);
	uv_close((uv_handle_t *)&s->pipe, server_close_cb);
}

static int
server_sock_intact(const struct server *s)
{
	struct stat	st;

	return (lstat(s->path, &st) == 0 && st.st_ino == s->sock_st.st_ino &&
	    st.st_dev == s->sock_st.st_dev);
}
