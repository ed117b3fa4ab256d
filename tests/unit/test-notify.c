/*
 * Unit tests for daemon/notify.c: what reaches a service manager's
 * socket named by NOTIFY_SOCKET (a path or an @abstract name), and that
 * an unset, unusable or unreachable address changes nothing else.  The
 * "manager" is a datagram socket bound here.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"
#include "unit.h"

static int	 ntf_bind(const char *);
static void	 ntf_expect(int, const char *);

/*
 * A datagram socket bound at addr ("/path" or "@name"), with a receive
 * timeout so that a missing datagram fails the test, not hangs it.
 */
static int
ntf_bind(const char *addr)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 5, 0 };
	socklen_t		 len;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	CHECK(strlen(addr) < sizeof sun.sun_path);
	memcpy(sun.sun_path, addr, strlen(addr));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(addr));
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';
	CHECK((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1);
	CHECK_EQ_INT(bind(fd, (struct sockaddr *)&sun, len), 0);
	CHECK_EQ_INT(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv),
	    0);
	return (fd);
}

/* The next datagram on fd is exactly want. */
static void
ntf_expect(int fd, const char *want)
{
	char	buf[4096];
	ssize_t	n;

	n = recv(fd, buf, sizeof buf, 0);
	CHECK(n >= 0);
	CHECK_EQ_MEM(buf, (size_t)n, want, strlen(want));
}

void
notify_unset_sends_nothing(void)
{
	unsetenv("NOTIFY_SOCKET");
	CHECK_EQ_INT(notify_open(), 0);
	CHECK_EQ_INT(notify_active(), 0);
	notify_send("READY=1");		/* nowhere to go: nothing happens */
	notify_close();
}

void
notify_path_socket_receives(void)
{
	char	dir[] = "/tmp/depcheck-unit.XXXXXX", path[64];
	int	fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/notify", dir);
	fd = ntf_bind(path);
	CHECK_EQ_INT(setenv("NOTIFY_SOCKET", path, 1), 0);
	CHECK_EQ_INT(notify_open(), 1);
	CHECK(getenv("NOTIFY_SOCKET") == NULL);	/* not passed on */
	CHECK_EQ_INT(notify_active(), 1);
	notify_send("STATUS=crawling '%s'", "/src");
	notify_send("READY=1\nSTATUS=watching: %d entries", 3);
	ntf_expect(fd, "STATUS=crawling '/src'");
	ntf_expect(fd, "READY=1\nSTATUS=watching: 3 entries");
	notify_close();
	CHECK_EQ_INT(notify_active(), 0);
	close(fd);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(rmdir(dir), 0);
}

void
notify_abstract_socket_receives(void)
{
	char	name[64];
	int	fd;

	snprintf(name, sizeof name, "@depcheck-unit-notify-%ld",
	    (long)getpid());
	fd = ntf_bind(name);
	CHECK_EQ_INT(setenv("NOTIFY_SOCKET", name, 1), 0);
	CHECK_EQ_INT(notify_open(), 1);
	notify_send("STOPPING=1");
	ntf_expect(fd, "STOPPING=1");
	notify_close();
	close(fd);
}

void
notify_bad_address_ignored(void)
{
	char	longpath[200];

	CHECK_EQ_INT(setenv("NOTIFY_SOCKET", "relative/sock", 1), 0);
	CHECK_EQ_INT(notify_open(), 0);
	CHECK_EQ_INT(notify_active(), 0);
	notify_close();

	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	CHECK_EQ_INT(setenv("NOTIFY_SOCKET", longpath, 1), 0);
	CHECK_EQ_INT(notify_open(), 0);
	notify_close();
}

void
notify_unreachable_survives(void)
{
	CHECK_EQ_INT(setenv("NOTIFY_SOCKET", "/nonexistent/depcheck-notify",
	    1), 0);
	CHECK_EQ_INT(notify_open(), 1);
	notify_send("READY=1");		/* logged once, not fatal */
	notify_send("STATUS=still here");
	CHECK_EQ_INT(notify_active(), 1);
	notify_close();
}
