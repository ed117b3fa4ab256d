/*
 * The daemon instance's shared operations (see daemon.h): saying what the
 * user must hear, and shutdown.  Called from watch.c, batch.c, conn.c,
 * life.c and main.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "proto.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"

struct daemon	*daemon_self;

void
daemon_shutdown(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	notify_send("STOPPING=1\nSTATUS=stopping");
	uv_stop(d->loop);
}

void
daemon_say(struct daemon *d, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	log_warn("%s", msg);
	if (d->starting && !d->foreground)
		fprintf(stderr, "depcheckd: %s\n", msg);
	free(msg);
}
