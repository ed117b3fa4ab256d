/*
 * Unit tests for daemon/conn.c: subscribers, on a real libuv loop.  The
 * daemon's end of a socketpair is a conn; the test is the client at the
 * other end, and runs the loop while it waits for bytes.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "proto.h"
#include "xmalloc.h"
#include "conn.h"
#include "daemon.h"
#include "unit.h"

/* The client's end of a connection, and what it read but did not take. */
struct peer {
	int		fd;
	struct pbuf	in;
};

static void	 test_daemon(struct daemon *, uv_loop_t *, unsigned);
static void	 test_done(struct daemon *);
static struct conn *test_open(struct daemon *, int, struct peer *);
static int	 peer_frame(struct daemon *, struct peer *, int, uint32_t *,
		     struct pbuf *);
static void	 peer_send(struct peer *, const struct pbuf *);
static void	 big_frame(struct pbuf *, size_t);

static void
test_daemon(struct daemon *d, uv_loop_t *loop, unsigned idle_ms)
{
	memset(d, 0, sizeof *d);
	CHECK_EQ_INT(uv_loop_init(loop), 0);
	d->loop = loop;
	d->root = "/conn-test";
	d->idle_timeout_ms = idle_ms;
}

/* Every connection is closed: the loop ends with no handle left. */
static void
test_done(struct daemon *d)
{
	CHECK_EQ_INT(uv_run(d->loop, UV_RUN_DEFAULT), 0);
	CHECK_EQ_INT(uv_loop_close(d->loop), 0);
}

/*
 * A conn on the daemon's end of a socketpair (its send buffer sndbuf
 * bytes, if not 0), past its HELLO; the client's end in p.
 */
static struct conn *
test_open(struct daemon *d, int sndbuf, struct peer *p)
{
	struct proto_hello	 hello = { PROTO_VERSION, "unit", 4 };
	struct conn		*c;
	struct pbuf		 b;
	uint32_t		 type;
	int			 sv[2];

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	if (sndbuf != 0)
		CHECK_EQ_INT(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof sndbuf), 0);
	c = conn_new(d, NULL, NULL);
	CHECK_EQ_INT(uv_pipe_open((uv_pipe_t *)conn_stream(c), sv[0]), 0);
	conn_start(c, 0);
	p->fd = sv[1];
	pbuf_init(&p->in);
	pbuf_init(&b);
	CHECK_EQ_INT(proto_pack_hello(&b, &hello), 0);
	peer_send(p, &b);
	pbuf_reset(&b);
	CHECK_EQ_INT(peer_frame(d, p, 2000, &type, &b), 1);
	CHECK_EQ_UINT(type, PROTO_MSG_HELLO_OK);
	pbuf_free(&b);
	return (c);
}

static void
peer_send(struct peer *p, const struct pbuf *b)
{
	CHECK_EQ_INT(send(p->fd, b->data, b->len, MSG_NOSIGNAL),
	    (ssize_t)b->len);
}

/*
 * Run the loop and read until a whole frame arrived (1: its type, its
 * payload appended to payload), the daemon closed the connection (0) or
 * ms milliseconds passed (-1).
 */
static int
peer_frame(struct daemon *d, struct peer *p, int ms, uint32_t *type,
    struct pbuf *payload)
{
	struct pollfd	 pfd;
	const char	*cause;
	uint64_t	 end = uv_hrtime() + (uint64_t)ms * 1000000;
	uint32_t	 len;
	uint8_t		 buf[65536];
	ssize_t		 n;
	size_t		 used;

	for (;;) {
		if (p->in.len >= PROTO_HDR_LEN) {
			CHECK_EQ_INT(proto_unpack_header(p->in.data, type,
			    &len, &cause), 0);
			used = PROTO_HDR_LEN + len;
			if (p->in.len >= used) {
				if (len != 0) {
					payload->data = xrealloc(payload->data,
					    payload->len + len);
					memcpy(payload->data + payload->len,
					    p->in.data + PROTO_HDR_LEN, len);
					payload->len += len;
					payload->cap = payload->len;
				}
				memmove(p->in.data, p->in.data + used,
				    p->in.len - used);
				p->in.len -= used;
				return (1);
			}
		}
		uv_run(d->loop, UV_RUN_NOWAIT);
		n = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0)
			return (0);
		if (n > 0) {
			p->in.data = xrealloc(p->in.data, p->in.len +
			    (size_t)n);
			memcpy(p->in.data + p->in.len, buf, (size_t)n);
			p->in.len += (size_t)n;
			p->in.cap = p->in.len;
			continue;
		}
		CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
		if (uv_hrtime() >= end)
			return (-1);
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 2);
	}
}

/* A STATUS_OK frame of about size bytes (one text item). */
static void
big_frame(struct pbuf *b, size_t size)
{
	struct proto_status_item	 it;
	char				*text;

	text = xmalloc(size);
	memset(text, 's', size);
	memset(&it, 0, sizeof it);
	it.key = "news";
	it.keylen = 4;
	it.kind = PROTO_STATUS_TEXT;
	it.text = text;
	it.textlen = (uint32_t)size;
	CHECK_EQ_INT(proto_pack_status_ok(b, &it, 1), 0);
	free(text);
}

void
conn_subscriber_no_idle_timeout(void)
{
	struct daemon	 d;
	uv_loop_t	 loop;
	struct peer	 sub, plain;
	struct conn	*c;
	struct pbuf	 b;
	uint32_t	 type;

	/* Subscribed at once: on a loaded machine 300 ms can pass. */
	test_daemon(&d, &loop, 300);
	c = test_open(&d, 0, &sub);
	conn_subscribe(c, CONN_SUB_CAP);
	(void)test_open(&d, 0, &plain);

	/* The same idle bound closes the other connection... */
	pbuf_init(&b);
	CHECK_EQ_INT(peer_frame(&d, &plain, 5000, &type, &b), 0);
	/* ...but not the subscriber, silent for 4 times as long. */
	CHECK_EQ_INT(peer_frame(&d, &sub, 1200, &type, &b), -1);

	/* It is still served: a push arrives. */
	big_frame(&b, 10);
	CHECK_EQ_INT(conn_push(c, &b), 0);
	CHECK_EQ_UINT(b.len, 0);		/* taken over */
	CHECK_EQ_INT(peer_frame(&d, &sub, 1000, &type, &b), 1);
	CHECK_EQ_UINT(type, PROTO_MSG_STATUS_OK);

	/* A request from a subscriber: error state, and it is closed. */
	pbuf_reset(&b);
	proto_pack_empty(&b, PROTO_MSG_PING);
	peer_send(&sub, &b);
	pbuf_reset(&b);
	CHECK_EQ_INT(peer_frame(&d, &sub, 1000, &type, &b), 1);
	CHECK_EQ_UINT(type, PROTO_MSG_ERROR);
	CHECK_EQ_UINT(b.data[3], PROTO_ERR_STATE);
	CHECK_EQ_INT(peer_frame(&d, &sub, 1000, &type, &b), 0);

	pbuf_free(&b);
	pbuf_free(&sub.in);
	pbuf_free(&plain.in);
	close(sub.fd);
	close(plain.fd);
	test_done(&d);
}

void
conn_subscriber_overrun_ends(void)
{
	struct proto_error	 e;
	struct daemon		 d;
	uv_loop_t		 loop;
	struct peer		 sub;
	struct conn		*c;
	struct pbuf		 b;
	const size_t		 cap = 64 * 1024;
	size_t			 unsent = 0, flen;
	const char		*cause;
	uint32_t		 type;
	int			 i, rc = 0, pushed = 0, got = 0;

	/* A long idle bound: it must not be what ends the subscriber. */
	test_daemon(&d, &loop, 60000);
	c = test_open(&d, 4096, &sub);
	conn_subscribe(c, cap);

	/*
	 * The client reads nothing: once the kernel's buffer is full, every
	 * push waits in libuv.  Each push the cap allows is accepted; the
	 * first that would pass it is refused.
	 */
	pbuf_init(&b);
	big_frame(&b, 3000);
	flen = b.len;
	pbuf_reset(&b);
	for (i = 0; i < 1000; i++) {
		big_frame(&b, 3000);
		unsent = conn_unsent(c);
		if ((rc = conn_push(c, &b)) != 0)
			break;
		CHECK(unsent + flen <= cap);
		pushed++;
	}
	CHECK_EQ_INT(rc, -1);
	CHECK(unsent + flen > cap);
	CHECK((size_t)(pushed + 1) * flen > cap);	/* the cap was used */
	big_frame(&b, 10);
	CHECK_EQ_INT(conn_push(c, &b), -1);		/* and stays ended */

	/* Now it reads: what was accepted, one error overrun, the end. */
	for (;;) {
		pbuf_reset(&b);
		CHECK_EQ_INT(peer_frame(&d, &sub, 5000, &type, &b), 1);
		if (type != PROTO_MSG_STATUS_OK)
			break;
		got++;
	}
	CHECK_EQ_INT(got, pushed);
	CHECK_EQ_UINT(type, PROTO_MSG_ERROR);
	CHECK_EQ_INT(proto_unpack_error(b.data, b.len, &e, &cause), 0);
	CHECK_EQ_UINT(e.code, PROTO_ERR_OVERRUN);
	CHECK_EQ_INT(peer_frame(&d, &sub, 5000, &type, &b), 0);

	pbuf_free(&b);
	pbuf_free(&sub.in);
	close(sub.fd);
	test_done(&d);
}
