/*
 * The daemon instance's shared operations (see daemon.h): saying what the
 * user must hear, and shutdown.  Called from watch.c, batch.c, conn.c,
 * life.c and main.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "xmalloc.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"


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
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_warn("%s", msg);
	if (d->starting && !d->foreground)
		fprintf(stderr, "depcheckd: %s\n", msg);
	free(msg);
}
