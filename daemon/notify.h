/*
 * Readiness and status for a service manager, sd_notify(3)'s datagram
 * protocol (notify.c): main.c opens it in the foreground and reports
 * start-up, scan.c the crawl's progress, daemon.c the stop.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

/*
 * Take $NOTIFY_SOCKET (a path, or "@name" for an abstract socket), unset
 * it, and open a datagram socket to send to it.  Nothing to do when it is
 * unset; an address that cannot be used is logged once and ignored.
 * Returns 1 when notifications will be sent, else 0.
 */
int	 notify_open(void);
/*
 * Sent with each STATUS= of the start-up crawl: the manager waits this
 * much longer for the next message (microseconds), so a large tree's
 * crawl does not run into the unit's start timeout.
 */
#define NOTIFY_EXTEND_USEC	90000000
/*
 * Send one datagram of "KEY=value" lines (printf format, no final
 * newline needed).  Does nothing unless notify_open() returned 1; a
 * failure is logged once, then ignored.
 */
void	 notify_send(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Is a service manager listening (notify_open() returned 1)? */
int	 notify_active(void);
void	 notify_close(void);

#endif
