/*
 * Event application (see apply.h).  Every write is stamped (stamp.c) in
 * the order inotify queued it; stamp_close, at the end of the drain,
 * orders them again if a crawl ran.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "xmalloc.h"
#include "apply.h"
#include "ignore.h"
#include "index.h"
#include "log.h"
#include "scan.h"
#include "stamp.h"
#include "util.h"
#include "watch.h"
#include "wdmap.h"

struct apply_gone {
	const struct apply	*a;
	const char		*prefix;
};

/* Record a write of relpath at a new seq. */
static void
apply_write(const struct apply *a, const char *relpath, int exists)
{
	stamp_write(a->stamp, index_get(a->index, relpath), exists, 0, 0);
}

static void
apply_gone_cb(struct rec *r, void *arg)
{
	struct apply_gone	*g = arg;

	if (r->exists && util_under(r->path, g->prefix))
		stamp_write(g->a->stamp, r, 0, 0, 0);
}

/*
 * A directory moved away: everything below it is gone from here, and no
 * event will say so for its entries.  Stop watching it; if it moved
 * within the root, its MOVED_TO rescans it under its new name.
 */
static void
apply_subtree_gone(const struct apply *a, const char *relpath)
{
	struct apply_gone	g;

	g.a = a;
	g.prefix = relpath;
	index_foreach(a->index, apply_gone_cb, &g);
	watch_remove_under(a->watch, relpath);
}

/* An event on the daemon's own cookie directory. */
static int
apply_cookie(const struct apply *a, const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		log_warn("lost the watch on the cookie directory"
		    " '%s/.depcheck/cookies'", log_esc(a->root));
		wdmap_forget(a->wdmap, ev->wd);
		return (0);
	}
	if (ev->len != 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
		return (APPLY_COOKIE);
	return (0);
}

/*
 * The kernel dropped the watch on e: the directory was deleted (its
 * parent's event says so; a new one of the same name has its own watch by
 * now), or its file system was unmounted, leaving the mount point
 * unwatched.  A directory there that no watch covers is a lost watch:
 * rescan.
 */
static int
apply_ignored(const struct apply *a, struct wdent *e)
{
	struct stat	 st;
	char		*relpath;
	int		 gone, flags = APPLY_FREED;

	relpath = xstrdup(e->relpath);
	gone = e->gone;
	wdmap_forget(a->wdmap, e->wd);
	/*
	 * Deleted or moved away (the kernel said so first): what is
	 * there now, if anything, is new and has its own event
	 * coming (rm -r out && mkdir out, read late).
	 */
	if (!gone && fstatat(a->rootfd, *relpath ? relpath : ".", &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	    !wdmap_has_path(a->wdmap, relpath) &&
	    !ignore_match(a->ignore, relpath) &&
	    !watch_is_unwatched(a->watch, relpath)) {
		log_warn("lost the watch on '%s'", log_esc(relpath));
		flags |= APPLY_LOST;
	}
	free(relpath);
	return (flags);
}

/* An event on the watched directory itself (no name). */
static int
apply_self(const struct apply *a, struct wdent *e,
    const struct inotify_event *ev)
{
	if (!(ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)))
		return (0);
	e->gone = 1;
	/*
	 * Nothing left to watch, or watched under a name that no
	 * longer leads to it: stop, rather than run on unreachable.
	 */
	if (*e->relpath != '\0')
		return (0);
	log_warn("the root '%s' was %s: stopping", log_esc(a->root),
	    ev->mask & IN_DELETE_SELF ? "deleted" : "moved");
	return (APPLY_STOP);
}

/*
 * A write if the mtime (or what the name holds) changed: touch, touch -d.
 * chmod and chown change only the facts.  (Gone by now: its delete event
 * follows.)
 */
static void
apply_attrib(const struct apply *a, const char *relpath)
{
	struct stat	 st;
	struct rec	*r;

	if (fstatat(a->rootfd, relpath, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	r = index_get(a->index, relpath);
	if (!r->exists || r->seq == 0 ||
	    r->mtime_ns != util_ts_ns(&st.st_mtim) ||
	    r->size != (uint64_t)st.st_size || r->ino != st.st_ino)
		apply_write(a, relpath, 1);
	else if (index_facts_differ(r, &st)) {
		r->fresh = 0;	/* the commit takes the new facts */
		index_touch(a->index, r);
	}
}

int
apply_event(const struct apply *a, const struct inotify_event *ev)
{
	struct wdent	*e;
	char		*relpath;
	int		 flags = 0;

	if (ev->mask & IN_Q_OVERFLOW)
		return (APPLY_OVERFLOW);
	if ((e = wdmap_find(a->wdmap, ev->wd)) == NULL)
		return (0);	/* a watch removed since: nothing to say */
	if (e->cookie)
		return (apply_cookie(a, ev));
	if (ev->mask & IN_IGNORED)
		return (apply_ignored(a, e));
	if (ev->len == 0 || ev->name[0] == '\0')
		return (apply_self(a, e, ev));
	relpath = util_join(e->relpath, ev->name);
	if (ignore_match(a->ignore, relpath)) {
		free(relpath);
		return (0);
	}
	log_debug("event %#x '%s'", ev->mask, log_esc(relpath));
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		apply_write(a, e->relpath, 1);
		if (ev->mask & IN_ISDIR)
			scan_tree(a->scan, relpath, SCAN_NEW, 0, NULL);
		else
			apply_write(a, relpath, 1);
	} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		/*
		 * rmdir needs an empty directory, so a deleted directory's
		 * entries had their own events; a moved one's did not.
		 */
		if ((ev->mask & (IN_MOVED_FROM | IN_ISDIR)) ==
		    (IN_MOVED_FROM | IN_ISDIR)) {
			apply_subtree_gone(a, relpath);
			flags |= APPLY_FREED;
		}
		apply_write(a, relpath, 0);
		apply_write(a, e->relpath, 1);
	} else if (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE))
		apply_write(a, relpath, 1);
	else if (ev->mask & IN_ATTRIB)
		apply_attrib(a, relpath);
	free(relpath);
	return (flags);
}
