/*
 * Logging for depcheckd (see log.h).  Called from every module; the level
 * is checked before anything is formatted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"
#include "log.h"

static FILE	*log_file;
static int	 log_stderr;
static int	 log_level = LOG_INFO;

int
log_open(const char *path, int to_stderr)
{
	int	fd;

	log_stderr = to_stderr;
	/* Never through a symlink planted in the state directory. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 || (log_file = fdopen(fd, "a")) == NULL) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	setvbuf(log_file, NULL, _IOLBF, 0);
	if (getenv("DEPCHECKD_DEBUG") != NULL)
		log_level = LOG_DEBUG;
	return (0);
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

int
log_is_open(void)
{
	return (log_file != NULL);
}

static void
log_vwrite(char tag, const char *fmt, va_list ap)
{
	struct timeval	tv;
	struct tm	tm;
	char		stamp[64], *msg;

	xvasprintf(&msg, fmt, ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (log_file != NULL)
		fprintf(log_file, "%s.%03ld %c %s\n", stamp,
		    (long)tv.tv_usec / 1000, tag, msg);
	if (log_stderr || log_file == NULL)
		fprintf(stderr, "depcheckd: %s\n", msg);
	free(msg);
}

#define LOG_FN(name, level, tag)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
								\
	if (log_level > (level))				\
		return;						\
	va_start(ap, fmt);					\
	log_vwrite(tag, fmt, ap);				\
	va_end(ap);						\
}
LOG_FN(log_debug, LOG_DEBUG, 'D')
LOG_FN(log_info, LOG_INFO, 'I')
LOG_FN(log_warn, LOG_WARN, 'W')

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 error = errno;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_warn("%s: %s", msg, strerror(error));
	exit(2);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_warn("internal error: %s", msg);
	abort();
}

const char *
log_esc(const char *s)
{
	static char	 bufs[4][4 * 4096 + 1];
	static int	 next;
	char		*b = bufs[next++ % 4], *p = b;
	const unsigned char *u;

	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (p - b > 4 * 4096 - 4)
			break;
		if (*u < 0x20 || *u >= 0x7f || *u == '\\')
			p += sprintf(p, "\\%03o", *u);
		else
			*p++ = (char)*u;
	}
	*p = '\0';
	return (b);
}
