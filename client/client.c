/*
 * The client side of the protocol (see client.h).  Blocking I/O on one
 * unix socket, bounded by DEPCHECK_TIMEOUT seconds per reply.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "xmalloc.h"

#define CLIENT_NAME	"depcheck"

int
client_root_arg(const char *dir, char **root, char **cause)
{
	char		buf[PATH_MAX];
	struct stat	st;

	if (realpath(dir, buf) == NULL) {
		xasprintf(cause, "cannot use root '%s': %s", dir,
		    strerror(errno));
		return (-1);
	}
	if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
		xasprintf(cause, "root '%s' is not a directory", dir);
		return (-1);
	}
	*root = xstrdup(buf);
	return (0);
}

int
client_find_root(char **root, char **cause)
{
	const char	*env = getenv("DEPCHECK_ROOT");
	char		 buf[PATH_MAX], *slash;
	struct stat	 st;
	size_t		 len;

	if (env != NULL && *env != '\0')
		return (client_root_arg(env, root, cause));
	if (getcwd(buf, sizeof buf - sizeof "/.depcheck") == NULL) {
		xasprintf(cause, "cannot get the working directory: %s",
		    strerror(errno));
		return (-1);
	}
	for (;;) {
		len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "%s",
		    len == 1 ? ".depcheck" : "/.depcheck");
		if (lstat(buf, &st) == 0) {
			/* A planted symlink is refused, not skipped. */
			if (!S_ISDIR(st.st_mode)) {
				xasprintf(cause, "'%s' is %s (not followed;"
				    " remove it)", buf, S_ISLNK(st.st_mode) ?
				    "a symlink, not a directory" :
				    "not a directory");
				return (-1);
			}
			buf[len] = '\0';
			*root = xstrdup(buf);
			return (0);
		}
		buf[len] = '\0';
		if (len == 1)
			break;
		slash = strrchr(buf, '/');
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (getcwd(buf, sizeof buf) == NULL) {
		xasprintf(cause, "cannot get the working directory: %s",
		    strerror(errno));
		return (-1);
	}
	*root = xstrdup(buf);
	return (1);
}

/* The socket path: ROOT/.depcheck/sock, or what ROOT/.depcheck/sockpath says. */
static char *
client_sockpath(const char *root)
{
	char	*note, *path, line[PATH_MAX];
	FILE	*f;

	xasprintf(&note, "%s/.depcheck/sockpath", root);
	f = fopen(note, "re");
	free(note);
	if (f != NULL) {
		if (fgets(line, sizeof line, f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			fclose(f);
			return (xstrdup(line));
		}
		fclose(f);
	}
	xasprintf(&path, "%s/.depcheck/sock", root);
	return (path);
}

int
client_timeout(void)
{
	const char	*env = getenv("DEPCHECK_TIMEOUT");
	long		 s;

	if (env == NULL || (s = strtol(env, NULL, 10)) <= 0 || s > 86400)
		return (30);
	return ((int)s);
}

static int
client_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		/* A daemon that closed on us is an error, not SIGPIPE. */
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Read exactly len bytes; -1 with errno (ETIMEDOUT, or 0 for EOF). */
static int
client_read_all(int fd, uint8_t *p, size_t len, int timeout_ms)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		rc;

	while (len > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, timeout_ms)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (rc == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0) {
			errno = 0;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

int
client_request(struct client *c, struct pbuf *b, uint32_t *type,
    uint8_t **payload, uint32_t *len, char **cause)
{
	struct proto_error	 e;
	uint8_t			 hdr[PROTO_HDR_LEN], *p;
	const char		*why;
	int			 timeout = client_timeout() * 1000, error;

	*payload = NULL;
	if (client_write_all(c->fd, b->data, b->len) != 0) {
		/*
		 * The daemon may have said why before it closed (too many
		 * connections): read that rather than report the pipe.
		 */
		error = errno;
		if (client_read_all(c->fd, hdr, sizeof hdr, 1000) != 0 ||
		    proto_unpack_header(hdr, type, len, &why) != 0 ||
		    *type != PROTO_MSG_ERROR) {
			xasprintf(cause, "cannot send to the daemon for '%s':"
			    " %s", c->root, strerror(error));
			return (-1);
		}
	} else if (client_read_all(c->fd, hdr, sizeof hdr, timeout) != 0)
		goto read_fail;
	if (proto_unpack_header(hdr, type, len, &why) != 0) {
		xasprintf(cause, "bad reply from the daemon for '%s': %s",
		    c->root, why);
		return (-1);
	}
	p = xmalloc(*len);
	if (client_read_all(c->fd, p, *len, timeout) != 0) {
		free(p);
		goto read_fail;
	}
	if (*type == PROTO_MSG_ERROR) {
		if (proto_unpack_error(p, *len, &e, &why) != 0)
			xasprintf(cause, "bad error reply from the daemon for"
			    " '%s': %s", c->root, why);
		else
			xasprintf(cause, "daemon for '%s': %.*s", c->root,
			    (int)e.msglen, e.msg);
		free(p);
		return (-1);
	}
	*payload = p;
	return (0);

read_fail:
	if (errno == ETIMEDOUT)
		xasprintf(cause, "the daemon for '%s' did not answer within"
		    " %d s (DEPCHECK_TIMEOUT)", c->root, timeout / 1000);
	else
		xasprintf(cause, "lost the daemon for '%s': %s", c->root,
		    errno == 0 ? "connection closed" : strerror(errno));
	return (-1);
}

int
client_simple(struct client *c, uint32_t type, uint32_t want,
    uint8_t **payload, uint32_t *len, char **cause)
{
	struct pbuf	b;
	uint32_t	got;
	int		rc;

	pbuf_init(&b);
	proto_pack_empty(&b, type);
	rc = client_request(c, &b, &got, payload, len, cause);
	pbuf_free(&b);
	if (rc == 0 && got != want) {
		xasprintf(cause, "unexpected %s reply from the daemon for"
		    " '%s'", proto_msg_name(got), c->root);
		free(*payload);
		*payload = NULL;
		return (-1);
	}
	return (rc);
}

/*
 * The state directory and the socket must be ours: a symlink planted in
 * their place, or another user's, is refused, not followed.  Returns 0,
 * 1 when there is none (no daemon), or -1 with an allocated cause.
 */
static int
client_check_owner(const char *path, int want_dir, char **cause)
{
	struct stat	st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return (1);
		xasprintf(cause, "cannot stat '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	if (S_ISLNK(st.st_mode)) {
		xasprintf(cause, "'%s' is a symlink, not a %s (not followed;"
		    " remove it)", path, want_dir ? "directory" : "socket");
		return (-1);
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISSOCK(st.st_mode)) {
		xasprintf(cause, "'%s' is not a %s", path, want_dir ?
		    "directory" : "socket");
		return (-1);
	}
	if (st.st_uid != getuid()) {
		xasprintf(cause, "'%s' belongs to uid %u, not to uid %u (not"
		    " used; remove it)", path, (unsigned)st.st_uid,
		    (unsigned)getuid());
		return (-1);
	}
	return (0);
}

int
client_connect(struct client *c, const char *root, char **cause)
{
	struct sockaddr_un	 sun;
	struct proto_hello	 hello = { PROTO_VERSION, CLIENT_NAME,
				     sizeof CLIENT_NAME - 1 };
	struct proto_hello_ok	 ok;
	struct pbuf		 b;
	uint8_t			*p;
	uint32_t		 type, len;
	const char		*why;
	char			*path;
	int			 rc;

	c->fd = -1;
	c->refused = 0;
	c->root = xstrdup(root);
	xasprintf(&path, "%s/.depcheck", root);
	rc = client_check_owner(path, 1, cause);
	free(path);
	if (rc != 0) {
		c->refused = rc == -1;
		return (rc);
	}
	path = client_sockpath(root);
	if ((rc = client_check_owner(path, 0, cause)) != 0) {
		c->refused = rc == -1;
		free(path);
		return (rc);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path '%s' is too long", path);
		free(path);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	free(path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "cannot create a socket to reach the daemon"
		    " for '%s': %s", root, strerror(errno));
		return (-1);
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return (1);
		xasprintf(cause, "cannot connect to the daemon for '%s': %s",
		    root, strerror(errno));
		return (-1);
	}
	pbuf_init(&b);
	if (proto_pack_hello(&b, &hello) != 0)
		abort();	/* CLIENT_NAME is within PROTO_MAX_NAME */
	rc = client_request(c, &b, &type, &p, &len, cause);
	pbuf_free(&b);
	if (rc != 0)
		return (-1);
	if (type != PROTO_MSG_HELLO_OK ||
	    proto_unpack_hello_ok(p, len, &ok, &why) != 0) {
		xasprintf(cause, "bad handshake from the daemon for '%s'",
		    root);
		free(p);
		return (-1);
	}
	c->daemon_pid = ok.pid;
	free(p);
	return (0);
}

int
client_status(struct client *c, struct proto_status_item *items,
    uint8_t **payload, char **cause)
{
	const char	*why;
	uint32_t	 len;
	int		 n;

	if (client_simple(c, PROTO_MSG_STATUS, PROTO_MSG_STATUS_OK, payload,
	    &len, cause) != 0)
		return (-1);
	if ((n = proto_unpack_status_ok(*payload, len, items, &why)) == -1) {
		xasprintf(cause, "bad status reply from the daemon for '%s':"
		    " %s", c->root, why);
		free(*payload);
		*payload = NULL;
	}
	return (n);
}

int
client_stop(struct client *c, char **cause)
{
	const char	*why;
	uint8_t		*p;
	uint32_t	 len;
	uint64_t	 pid;
	int		 rc;

	if (client_simple(c, PROTO_MSG_STOP, PROTO_MSG_STOP_OK, &p, &len,
	    cause) != 0)
		return (-1);
	if ((rc = proto_unpack_value(PROTO_MSG_STOP_OK, p, len, &pid,
	    &why)) != 0)
		xasprintf(cause, "bad stop reply from the daemon for '%s': %s",
		    c->root, why);
	free(p);
	return (rc);
}

void
client_close(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->root);
	c->root = NULL;
}
