/*
 * Applying one inotify event to the index: a write stamped, a new
 * directory crawled, a moved-away one forgotten.  A plain function of
 * the event and what it applies to, without a loop, so that unit tests
 * feed it made-up events (tests/unit/test-apply.c).  Called by batch.c
 * while it drains the queue; what the event means beyond the index
 * (lost events, a cookie, the root gone) is returned for batch.c to
 * route to rescan.c, sync.c and daemon.c.
 */
#ifndef APPLY_H
#define APPLY_H

#include <sys/inotify.h>

struct index;
struct scan;
struct stamp;
struct watch;
struct wdmap;

/* What events apply to: all borrowed, set up by batch.c (or a test). */
struct apply {
	int		 rootfd;
	const char	*root;
	struct index	*index;
	struct stamp	*stamp;		/* writes are stamped here */
	struct watch	*watch;		/* watches removed, unwatched asked */
	struct wdmap	*wdmap;		/* wd -> directory */
	struct scan	*scan;		/* new directories are crawled */
	char *const	*ignore;	/* --ignore globs (ignore.h) */
};

/* What an event meant besides the index (flags, or 0). */
#define APPLY_OVERFLOW	0x01	/* IN_Q_OVERFLOW: events were lost */
#define APPLY_LOST	0x02	/* a watch lost on a directory still there */
#define APPLY_FREED	0x04	/* a watch freed: unwatched ones may fit now */
#define APPLY_COOKIE	0x08	/* ev->name, a sync cookie, was created */
#define APPLY_STOP	0x10	/* the root itself was deleted or moved */

int	 apply_event(const struct apply *, const struct inotify_event *);

#endif
