/*
 * sd_notify(3)'s protocol without libsystemd: one datagram of KEY=value
 * lines to the unix socket named by $NOTIFY_SOCKET.  Called from main.c
 * (open, READY=1), scan.c (crawl STATUS=) and daemon.c (STOPPING=1).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "log.h"
#include "notify.h"

/* A manager that stops reading stalls a send at most this long. */
#define NOTIFY_SEND_TIMEOUT_S	2

static int			 notify_fd = -1;
static struct sockaddr_un	 notify_sun;
static socklen_t		 notify_len;
static char			*notify_name;	/* as given, for messages */
static int			 notify_failed;	/* said so once already */

int
notify_open(void)
{
	struct timeval	 tv = { NOTIFY_SEND_TIMEOUT_S, 0 };
	const char	*env;
	size_t		 len;

	if ((env = getenv("NOTIFY_SOCKET")) == NULL || *env == '\0')
		return (0);
	notify_name = xstrdup(env);
	/* Whatever we might ever start is not the service. */
	unsetenv("NOTIFY_SOCKET");

	/*
	 * "/path" is a socket in the file system, "@name" one in the
	 * abstract namespace: sun_path starts with a NUL, and the address
	 * length counts the name's bytes exactly (no terminating NUL).
	 */
	len = strlen(notify_name);
	if ((notify_name[0] != '/' && notify_name[0] != '@') ||
	    len > sizeof notify_sun.sun_path ||
	    (notify_name[0] == '/' && len == sizeof notify_sun.sun_path)) {
		log_warn("ignoring NOTIFY_SOCKET '%s': not an absolute path"
		    " or an @name that fits a unix socket address",
		    log_esc(notify_name));
		return (0);
	}
	memset(&notify_sun, 0, sizeof notify_sun);
	notify_sun.sun_family = AF_UNIX;
	memcpy(notify_sun.sun_path, notify_name, len);
	if (notify_name[0] == '@') {
		notify_sun.sun_path[0] = '\0';
		notify_len = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len);
	} else
		notify_len = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len + 1);

	if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
	    -1) {
		log_warn("cannot notify the service manager at '%s': %s",
		    log_esc(notify_name), strerror(errno));
		return (0);
	}
	if (setsockopt(notify_fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof tv) != 0)
		log_warn("NOTIFY_SOCKET: cannot set a send timeout: %s",
		    strerror(errno));
	log_info("notifying the service manager at '%s'",
	    log_esc(notify_name));
	return (1);
}

int
notify_active(void)
{
	return (notify_fd != -1);
}

void
notify_send(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	ssize_t	 n;
	int	 error;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	do {
		n = sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
		    (struct sockaddr *)&notify_sun, notify_len);
	} while (n == -1 && errno == EINTR);
	error = errno;
	free(msg);
	if (n != -1) {
		notify_failed = 0;	/* a later failure is news again */
		return;
	}
	if (!notify_failed)
		log_warn("cannot notify the service manager at '%s': %s"
		    " (is NOTIFY_SOCKET right?)", log_esc(notify_name),
		    strerror(error));
	notify_failed = 1;
}

void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
	free(notify_name);
	notify_name = NULL;
	notify_failed = 0;
}
