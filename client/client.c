/*
 * The client side of the protocol (see client.h).  Blocking I/O on one
 * unix socket, bounded by DEPCHECK_TIMEOUT seconds per reply.  The HELLO
 * of client_open goes out in one write with the first request, and the
 * replies are read in order (PROTOCOL.md, "Requests and replies").
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

/*
 * The lstat of the state directory that client_find_root took: the
 * owner check of client_open looks at it rather than take another.
 */
static char		*client_found_dir;
static struct stat	 client_found_st;

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
			free(client_found_dir);
			client_found_dir = xstrdup(buf);
			client_found_st = st;
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

/*
 * The socket path: ROOT/.depcheck/sock, or, only when that is too long
 * for sun_path (as the daemon decides: daemon_sockpath), what
 * ROOT/.depcheck/sockpath says.
 */
static char *
client_sockpath(const char *root)
{
	struct sockaddr_un	 sun;
	char			*note, *path, line[PATH_MAX];
	FILE			*f;

	xasprintf(&path, "%s/.depcheck/sock", root);
	if (strlen(path) < sizeof sun.sun_path)
		return (path);
	free(path);
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

/* Send every byte of iov[0..n) (changed as it goes); -1 with errno. */
static int
client_send(int fd, struct iovec *iov, int n)
{
	struct msghdr	msg;
	ssize_t		sent;

	while (n > 0) {
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		/* A daemon that closed on us is an error, not SIGPIPE. */
		if ((sent = sendmsg(fd, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		while (n > 0 && (size_t)sent >= iov->iov_len) {
			sent -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + sent;
			iov->iov_len -= (size_t)sent;
		}
	}
	return (0);
}

/*
 * Have at least want unread bytes in c->in.  A read takes what is there
 * (a reply and the next one, pipelined), not just what was asked for.
 * Returns -1 with errno: ETIMEDOUT, or 0 for EOF.
 */
static int
client_fill(struct client *c, size_t want, int timeout_ms)
{
	struct pollfd	pfd;
	ssize_t		n;
	size_t		cap;
	int		rc;

	if (c->in.len - c->inoff >= want)
		return (0);
	if (c->inoff != 0) {
		memmove(c->in.data, c->in.data + c->inoff,
		    c->in.len - c->inoff);
		c->in.len -= c->inoff;
		c->inoff = 0;
	}
	if (c->in.cap < want || c->in.cap < 4096) {
		cap = want < 4096 ? 4096 : want;
		c->in.data = xrealloc(c->in.data, cap);
		c->in.cap = cap;
	}
	while (c->in.len < want) {
		pfd.fd = c->fd;
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
		if ((n = read(c->fd, c->in.data + c->in.len,
		    c->in.cap - c->in.len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0) {
			errno = 0;
			return (-1);
		}
		c->in.len += (size_t)n;
	}
	return (0);
}

/*
 * Read one frame: 0 with its type and an allocated payload, or -1 with
 * an allocated cause (c->lost when the daemon closed the connection).
 */
static int
client_read_frame(struct client *c, uint32_t *type, uint8_t **payload,
    uint32_t *len, int timeout_ms, char **cause)
{
	const char	*why;

	if (client_fill(c, PROTO_HDR_LEN, timeout_ms) != 0)
		goto read_fail;
	if (proto_unpack_header(c->in.data + c->inoff, type, len,
	    &why) != 0) {
		xasprintf(cause, "bad reply from the daemon for '%s': %s",
		    c->root, why);
		return (-1);
	}
	if (client_fill(c, PROTO_HDR_LEN + (size_t)*len, timeout_ms) != 0)
		goto read_fail;
	*payload = xmalloc(*len);
	memcpy(*payload, c->in.data + c->inoff + PROTO_HDR_LEN, *len);
	c->inoff += PROTO_HDR_LEN + (size_t)*len;
	return (0);

read_fail:
	if (errno == ETIMEDOUT)
		xasprintf(cause, "the daemon for '%s' did not answer within"
		    " %d s (DEPCHECK_TIMEOUT)", c->root, timeout_ms / 1000);
	else {
		c->lost = errno == 0 || errno == ECONNRESET;
		xasprintf(cause, "lost the daemon for '%s': %s", c->root,
		    errno == 0 ? "connection closed" : strerror(errno));
	}
	return (-1);
}

/* An ERROR frame, as the cause the user sees; frees the payload. */
static void
client_error_cause(struct client *c, uint8_t *p, uint32_t len, char **cause)
{
	struct proto_error	 e;
	const char		*why;

	if (proto_unpack_error(p, len, &e, &why) != 0)
		xasprintf(cause, "bad error reply from the daemon for '%s':"
		    " %s", c->root, why);
	else
		xasprintf(cause, "daemon for '%s': %.*s", c->root,
		    (int)e.msglen, e.msg);
	free(p);
}

/* The reply to HELLO: HELLO_OK, or why not.  Frees the payload. */
static int
client_hello_reply(struct client *c, uint32_t type, uint8_t *p,
    uint32_t len, char **cause)
{
	struct proto_hello_ok	 ok;
	const char		*why;

	if (type == PROTO_MSG_ERROR) {
		client_error_cause(c, p, len, cause);
		return (-1);
	}
	if (type != PROTO_MSG_HELLO_OK ||
	    proto_unpack_hello_ok(p, len, &ok, &why) != 0) {
		xasprintf(cause, "bad handshake from the daemon for '%s'",
		    c->root);
		free(p);
		return (-1);
	}
	c->daemon_pid = ok.pid;
	free(p);
	return (0);
}

/*
 * Send b, after the HELLO if it has not gone yet (one write), and read
 * the replies in order: the HELLO's, then b's.  A version mismatch ends
 * at the HELLO's ERROR, before a reply to b is looked for (t5014).
 */
int
client_request(struct client *c, struct pbuf *b, uint32_t *type,
    uint8_t **payload, uint32_t *len, char **cause)
{
	struct proto_hello	 hello = { PROTO_VERSION, CLIENT_NAME,
				     sizeof CLIENT_NAME - 1 };
	struct pbuf		 h;
	struct iovec		 iov[2];
	uint8_t			*p;
	int			 timeout = client_timeout() * 1000, error = 0;
	int			 n = 0, hello_sent = c->hello_pending;

	*payload = NULL;
	c->lost = 0;
	pbuf_init(&h);
	if (c->hello_pending) {
		if (proto_pack_hello(&h, &hello) != 0)
			abort();	/* CLIENT_NAME is within PROTO_MAX_NAME */
		iov[n].iov_base = h.data;
		iov[n++].iov_len = h.len;
		c->hello_pending = 0;
	}
	if (b != NULL) {
		iov[n].iov_base = b->data;
		iov[n++].iov_len = b->len;
	}
	if (client_send(c->fd, iov, n) != 0) {
		/*
		 * The daemon may have said why before it closed (too many
		 * connections, a version it does not speak): read that
		 * rather than report the pipe.
		 */
		error = errno;
		timeout = 1000;
	}
	pbuf_free(&h);
	if (hello_sent) {
		if (client_read_frame(c, type, &p, len, timeout, cause) != 0)
			goto send_fail;
		if (*type != PROTO_MSG_ERROR && error != 0) {
			free(p);
			goto send_fail_read;
		}
		if (client_hello_reply(c, *type, p, *len, cause) != 0)
			return (-1);
		if (b == NULL)
			return (0);
	}
	if (client_read_frame(c, type, &p, len, timeout, cause) != 0)
		goto send_fail;
	if (*type == PROTO_MSG_ERROR) {
		client_error_cause(c, p, *len, cause);
		return (-1);
	}
	if (error != 0) {
		free(p);
		goto send_fail_read;
	}
	*payload = p;
	return (0);

send_fail:
	if (error == 0)
		return (-1);
	free(*cause);
send_fail_read:
	c->lost = error == EPIPE || error == ECONNRESET;
	xasprintf(cause, "cannot send to the daemon for '%s': %s", c->root,
	    strerror(error));
	return (-1);
}

int
client_read(struct client *c, uint32_t *type, uint8_t **payload,
    uint32_t *len, int timeout_ms, char **cause)
{
	uint8_t	*p;

	*payload = NULL;
	if (client_read_frame(c, type, &p, len, timeout_ms, cause) != 0)
		return (-1);
	if (*type == PROTO_MSG_ERROR) {
		client_error_cause(c, p, *len, cause);
		return (-1);
	}
	*payload = p;
	return (0);
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
	static uid_t	uid = (uid_t)-1;
	struct stat	st;

	if (uid == (uid_t)-1)
		uid = getuid();
	if (want_dir && client_found_dir != NULL &&
	    strcmp(path, client_found_dir) == 0)
		st = client_found_st;
	else if (lstat(path, &st) != 0) {
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
	if (st.st_uid != uid) {
		xasprintf(cause, "'%s' belongs to uid %u, not to uid %u (not"
		    " used; remove it)", path, (unsigned)st.st_uid,
		    (unsigned)uid);
		return (-1);
	}
	return (0);
}

int
client_open(struct client *c, const char *root, char **cause)
{
	struct sockaddr_un	 sun;
	char			*path;
	int			 rc;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	pbuf_init(&c->in);
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
	c->hello_pending = 1;
	return (0);
}

int
client_connect(struct client *c, const char *root, char **cause)
{
	uint8_t		*p;
	uint32_t	 type, len;
	int		 rc;

	if ((rc = client_open(c, root, cause)) != 0)
		return (rc);
	return (client_request(c, NULL, &type, &p, &len, cause));
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
	pbuf_free(&c->in);
	c->inoff = 0;
	c->hello_pending = 0;
}
