/*
 * inotify through libuv (see watch.h).  A raw inotify descriptor is polled
 * with uv_poll_t rather than uv_fs_event_t: libuv's fs events drop
 * IN_Q_OVERFLOW (wd -1 maps to no handle), and an unnoticed overflow is a
 * wrong "up to date".
 */
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "proto.h"
#include "daemon.h"
#include "ignore.h"
#include "index.h"
#include "log.h"
#include "scan.h"
#include "stamp.h"
#include "sync.h"
#include "util.h"
#include "watch.h"

#define WATCH_MASK	(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | \
			 IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | \
			 IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define COOKIE_MASK	(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW)
#define WATCH_BUCKETS	1024

struct wdent {
	struct wdent	*next;
	int		 wd;
	int		 cookie;	/* the daemon's cookie directory */
	int		 gone;		/* IN_DELETE_SELF or IN_MOVE_SELF seen */
	char		 relpath[];
};

struct watch {
	struct daemon	 *d;
	int		  fd;
	uv_poll_t	  poll;
	struct wdent	**buckets;
	size_t		  nbuckets;
	size_t		  count;
	struct index	 *unwatched;	/* directories we could not watch */
	struct index	 *remote;	/* directories on remote file systems */
	size_t		  nremote;
	dev_t		  devs[16];	/* file systems already classified */
	int		  dev_remote[16];
	size_t		  ndevs;
	unsigned long	  test_remote;	/* testing aid: this f_type is remote */
	size_t		  nunwatched;
	size_t		  max_watches;	/* testing aid: DEPCHECKD_MAX_WATCHES */
	int		  overflow;	/* IN_Q_OVERFLOW */
	int		  lost;		/* a watch the kernel dropped */
	int		  warned;	/* the loud line was printed */
	uv_timer_t	  retry;	/* watch the unwatched again */
};

/* Retry unwatched directories this often, and this soon after a watch
 * is freed. */
#define WATCH_RETRY_MS	60000
#define WATCH_FREED_MS	200

static void	 watch_read_cb(uv_poll_t *, int, int);
static void	 watch_retry_cb(uv_timer_t *);
static void	 watch_close_cb(uv_handle_t *);

struct watch *
watch_new(struct daemon *d, char **cause)
{
	struct watch	*w;
	const char	*env;

	w = xcalloc(1, sizeof *w);
	w->d = d;
	w->nbuckets = WATCH_BUCKETS;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	w->buckets = xcalloc(w->nbuckets, sizeof *w->buckets);
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot create inotify instance: %s%s",
		    strerror(errno), errno == EMFILE ?
		    " (raise fs.inotify.max_user_instances)" : "");
		free(w->buckets);
		free(w);
		return (NULL);
	}
	uv_poll_init(d->loop, &w->poll, w->fd);
	w->poll.data = w;
	uv_timer_init(d->loop, &w->retry);
	w->retry.data = w;
	w->unwatched = index_new();
	w->remote = index_new();
	if ((env = getenv("DEPCHECKD_MAX_WATCHES")) != NULL)
		w->max_watches = strtoul(env, NULL, 10);
	if ((env = getenv("DEPCHECKD_TEST_REMOTE_FSTYPE")) != NULL)
		w->test_remote = strtoul(env, NULL, 0);
	return (w);
}

int
watch_start(struct watch *w, char **cause)
{
	int	rc;

	if ((rc = uv_poll_start(&w->poll, UV_READABLE, watch_read_cb)) != 0) {
		xasprintf(cause, "cannot poll inotify: %s", uv_strerror(rc));
		return (-1);
	}
	return (0);
}

static void
watch_close_cb(uv_handle_t *h)
{
	struct watch	*w = h->data;
	struct wdent	*e, *next;
	size_t		 i;

	close(w->fd);
	for (i = 0; i < w->nbuckets; i++) {
		for (e = w->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	index_free(w->unwatched);
	index_free(w->remote);
	free(w->buckets);
	free(w);
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	uv_close((uv_handle_t *)&w->retry, NULL);
	uv_close((uv_handle_t *)&w->poll, watch_close_cb);
}

static struct wdent **
watch_bucket(struct watch *w, int wd)
{
	return (&w->buckets[(unsigned)wd % w->nbuckets]);
}

static struct wdent *
watch_find_wd(struct watch *w, int wd)
{
	struct wdent	*e;

	for (e = *watch_bucket(w, wd); e != NULL; e = e->next) {
		if (e->wd == wd)
			return (e);
	}
	return (NULL);
}

static void
watch_forget_wd(struct watch *w, int wd)
{
	struct wdent	**pe, *e;

	for (pe = watch_bucket(w, wd); (e = *pe) != NULL; pe = &e->next) {
		if (e->wd == wd) {
			*pe = e->next;
			free(e);
			w->count--;
			return;
		}
	}
}

/* Map wd to relpath, replacing what it mapped before. */
static void
watch_map(struct watch *w, int wd, const char *relpath, int cookie)
{
	struct wdent	*e, **b;
	size_t		 len = strlen(relpath);

	watch_forget_wd(w, wd);
	e = xmalloc(sizeof *e + len + 1);
	e->wd = wd;
	e->cookie = cookie;
	e->gone = 0;
	memcpy(e->relpath, relpath, len + 1);
	b = watch_bucket(w, wd);
	e->next = *b;
	*b = e;
	w->count++;
}

/* Does some watch cover the directory relpath? */
static int
watch_has_path(struct watch *w, const char *relpath)
{
	struct wdent	*e;
	size_t		 i;

	for (i = 0; i < w->nbuckets; i++) {
		for (e = w->buckets[i]; e != NULL; e = e->next) {
			if (!e->cookie && strcmp(e->relpath, relpath) == 0)
				return (1);
		}
	}
	return (0);
}

static void
watch_mark_unwatched(struct watch *w, const char *relpath)
{
	struct rec	*r = index_get(w->unwatched, relpath);

	if (!r->exists)
		w->nunwatched++;
	r->exists = 1;
	/* Retry now and then: EACCES may be fixed, limits may be raised. */
	if (!uv_is_active((uv_handle_t *)&w->retry))
		uv_timer_start(&w->retry, watch_retry_cb, WATCH_RETRY_MS, 0);
}

static void
watch_clear_unwatched(struct watch *w, const char *relpath)
{
	struct rec	*r = index_find(w->unwatched, relpath);

	if (r != NULL && r->exists) {
		r->exists = 0;
		w->nunwatched--;
	}
}

/*
 * A watch was freed: if some directories went unwatched for lack of
 * watches, try them again soon (one rescan for all of them).
 */
static void
watch_freed(struct watch *w)
{
	if (w->nunwatched > 0)
		uv_timer_start(&w->retry, watch_retry_cb, WATCH_FREED_MS, 0);
}

static void
watch_retry_unwatched_cb(struct rec *r, void *arg)
{
	struct index	*force = arg;

	if (r->exists)
		index_get(force, r->path)->exists = 1;
}

/*
 * Watch the unwatched directories again, by a rescan in which everything
 * below them counts as changed: nobody saw what happened there.  Those
 * that still fail go back on the list.
 */
void
watch_retry(struct watch *w)
{
	struct daemon	*d = w->d;
	struct index	*force;

	if (w->nunwatched == 0)
		return;
	force = index_new();
	index_foreach(w->unwatched, watch_retry_unwatched_cb, force);
	index_free(w->unwatched);
	w->unwatched = index_new();
	w->nunwatched = 0;
	w->warned = 0;
	d->force = force;
	scan_rescan(d, "retrying unwatched directories");
	d->force = NULL;
	index_free(force);
	watch_drain(w);
	daemon_batch_end(d);
}

static void
watch_retry_cb(uv_timer_t *h)
{
	watch_retry(h->data);
}

int
watch_add_dir(struct watch *w, const char *relpath, char **cause)
{
	char	*abspath;
	int	 wd, error;

	xasprintf(&abspath, "%s%s%s", w->d->root, *relpath ? "/" : "",
	    relpath);
	if (w->max_watches != 0 && w->count >= w->max_watches + 1) {
		wd = -1;	/* +1: the cookie directory's watch */
		errno = ENOSPC;
	} else
		wd = inotify_add_watch(w->fd, abspath, WATCH_MASK);
	error = errno;		/* save it before anything else can change it */
	free(abspath);
	if (wd == -1) {
		if (error == ENOENT || error == ENOTDIR) {
			xasprintf(cause, "'%s' is gone", relpath);
			return (-1);
		}
		watch_mark_unwatched(w, relpath);
		xasprintf(cause, "cannot watch '%s': %s%s", relpath,
		    strerror(error), error == ENOSPC ?
		    " (raise fs.inotify.max_user_watches)" : "");
		/* Loud, but once: this can repeat for thousands. */
		if (!w->warned) {
			w->warned = 1;
			daemon_say(w->d, "%s; mtime rules apply in %s", *cause,
			    "directories that cannot be watched (depcheck"
			    " status counts them)");
		}
		return (-1);
	}
	watch_clear_unwatched(w, relpath);
	watch_map(w, wd, relpath, 0);
	return (0);
}

int
watch_add_cookie_dir(struct watch *w, const char *abspath, char **cause)
{
	int	wd;

	if ((wd = inotify_add_watch(w->fd, abspath, COOKIE_MASK)) == -1) {
		xasprintf(cause, "cannot watch '%s': %s", abspath,
		    strerror(errno));
		return (-1);
	}
	watch_map(w, wd, "", 1);
	return (0);
}

void
watch_remove_under(struct watch *w, const char *prefix)
{
	struct wdent	*e, *next;
	size_t		 i;

	for (i = 0; i < w->nbuckets; i++) {
		for (e = w->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (e->cookie || !util_under(e->relpath, prefix))
				continue;
			inotify_rm_watch(w->fd, e->wd);
			watch_forget_wd(w, e->wd);
		}
	}
	watch_freed(w);
}

int
watch_is_unwatched(struct watch *w, const char *relpath)
{
	return (index_covers(w->unwatched, relpath) ||
	    index_covers(w->remote, relpath));
}

int
watch_queue_empty(struct watch *w)
{
	int	n;

	return (ioctl(w->fd, FIONREAD, &n) == 0 && n == 0);
}

size_t
watch_remote_count(struct watch *w)
{
	return (w->nremote);
}

/* The name of a remote file system type, or NULL for a local one. */
static const char *
watch_remote_name(struct watch *w, unsigned long type)
{
	static const struct {
		unsigned long	 magic;
		const char	*name;
	} remote[] = {
		{ 0x6969, "nfs" },
		{ 0x517b, "smb" },
		{ 0xff534d42, "cifs" },
		{ 0xfe534d42, "smb2" },
		{ 0x65735546, "fuse" },
		{ 0x00c36400, "ceph" },
		{ 0x5346414f, "afs" },
		{ 0x73757245, "coda" },
		{ 0x01021997, "9p" },
		{ 0x0bd00bd0, "lustre" },
		{ 0x01161970, "gfs2" },
		{ 0x7461636f, "ocfs2" },
	};
	size_t	i;

	if (w->test_remote != 0 && type == w->test_remote)
		return ("remote (DEPCHECKD_TEST_REMOTE_FSTYPE)");
	for (i = 0; i < sizeof remote / sizeof remote[0]; i++) {
		if (remote[i].magic == type)
			return (remote[i].name);
	}
	return (NULL);
}

/*
 * Is the directory relpath on a remote file system?  inotify sees only
 * this host's writes there, so the daemon cannot vouch for it: it is not
 * watched, and mtime rules decide (DESIGN section 3).  statfs runs once
 * per file system (st_dev).
 */
int
watch_check_remote(struct watch *w, const char *relpath, dev_t dev)
{
	struct statfs	 sfs;
	const char	*name;
	char		*abspath;
	size_t		 i;
	int		 remote;

	for (i = 0; i < w->ndevs; i++) {
		if (w->devs[i] == dev) {
			remote = w->dev_remote[i];
			goto out;
		}
	}
	xasprintf(&abspath, "%s%s%s", w->d->root, *relpath ? "/" : "",
	    relpath);
	remote = statfs(abspath, &sfs) == 0 &&
	    (name = watch_remote_name(w, (unsigned long)sfs.f_type)) != NULL;
	if (remote)
		daemon_say(w->d, "'%s' is on a %s file system: writes by other"
		    " hosts cannot be seen, so mtime rules decide there",
		    abspath, name);
	free(abspath);
	if (w->ndevs < sizeof w->devs / sizeof w->devs[0]) {
		w->devs[w->ndevs] = dev;
		w->dev_remote[w->ndevs++] = remote;
	}
out:
	if (remote && !index_get(w->remote, relpath)->exists) {
		index_get(w->remote, relpath)->exists = 1;
		w->nremote++;
	}
	return (remote);
}

size_t
watch_count(struct watch *w)
{
	return (w->count);
}

size_t
watch_unwatched_count(struct watch *w)
{
	return (w->nunwatched);
}

/* Record a write of relpath at a new seq. */
static struct rec *
watch_write(struct watch *w, const char *relpath, int exists)
{
	struct rec	*r = index_get(w->d->index, relpath);

	stamp_write(w->d->stamp, r, exists, 0, 0);
	return (r);
}

struct subtree_gone {
	struct daemon	*d;
	struct index	*ix;
	const char	*prefix;
};

static void
watch_gone_cb(struct rec *r, void *arg)
{
	struct subtree_gone	*g = arg;

	if (r->exists && util_under(r->path, g->prefix))
		stamp_write(g->d->stamp, r, 0, 0, 0);
}

/*
 * A directory moved away: everything below it is gone from here, and no
 * event will say so for its entries.  Stop watching it; if it moved
 * within the root, its MOVED_TO rescans it under its new name.
 */
static void
watch_subtree_gone(struct watch *w, const char *relpath)
{
	struct subtree_gone	g;

	g.ix = w->d->index;
	g.prefix = relpath;
	g.d = w->d;
	index_foreach(g.ix, watch_gone_cb, &g);
	watch_remove_under(w, relpath);
}

void
watch_apply(struct watch *w, const struct inotify_event *ev)
{
	struct daemon	*d = w->d;
	struct wdent	*e;
	struct rec	*r;
	struct stat	 st;
	char		*relpath;
	int		 gone;

	if (ev->mask & IN_Q_OVERFLOW) {
		w->overflow = 1;
		return;
	}
	if ((e = watch_find_wd(w, ev->wd)) == NULL)
		return;		/* a watch removed since: nothing to say */
	if (e->cookie) {
		if (ev->len != 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
			sync_cookie_seen(d->sync, ev->name);
		if (ev->mask & IN_IGNORED) {
			log_warn("lost the watch on the cookie directory");
			watch_forget_wd(w, ev->wd);
		}
		return;
	}
	if (ev->mask & IN_IGNORED) {
		/*
		 * The kernel dropped this watch: the directory was deleted
		 * (its parent's event says so; a new one of the same name
		 * has its own watch by now), or its file system was
		 * unmounted, leaving the mount point unwatched.  A directory
		 * there that no watch covers is a lost watch: rescan.
		 */
		relpath = xstrdup(e->relpath);
		gone = e->gone;
		watch_forget_wd(w, ev->wd);
		/*
		 * Deleted or moved away (the kernel said so first): what is
		 * there now, if anything, is new and has its own event
		 * coming (rm -r out && mkdir out, read late).
		 */
		if (!gone && fstatat(d->rootfd, *relpath ? relpath : ".", &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		    !watch_has_path(w, relpath) &&
		    !ignore_match(d->ignore, relpath) &&
		    !watch_is_unwatched(w, relpath)) {
			log_warn("lost the watch on '%s'", log_esc(relpath));
			w->lost = 1;
		}
		free(relpath);
		watch_freed(w);
		return;
	}
	if (ev->len == 0 || ev->name[0] == '\0') {
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
			e->gone = 1;
		/*
		 * Nothing left to watch, or watched under a name that no
		 * longer leads to it: stop, rather than run on unreachable.
		 */
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF) &&
		    *e->relpath == '\0') {
			log_warn("the root '%s' was %s: stopping",
			    log_esc(d->root), ev->mask & IN_DELETE_SELF ?
			    "deleted" : "moved");
			daemon_shutdown(d);
		}
		return;
	}
	relpath = util_join(e->relpath, ev->name);
	if (ignore_match(d->ignore, relpath)) {
		free(relpath);
		return;
	}
	log_debug("event %#x '%s'", ev->mask, log_esc(relpath));
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		watch_write(w, e->relpath, 1);
		if (ev->mask & IN_ISDIR)
			scan_tree(d->scan, relpath, SCAN_NEW, 0, NULL);
		else
			watch_write(w, relpath, 1);
	} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		/*
		 * rmdir needs an empty directory, so a deleted directory's
		 * entries had their own events; a moved one's did not.
		 */
		if ((ev->mask & (IN_MOVED_FROM | IN_ISDIR)) ==
		    (IN_MOVED_FROM | IN_ISDIR))
			watch_subtree_gone(w, relpath);
		watch_write(w, relpath, 0);
		watch_write(w, e->relpath, 1);
	} else if (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE)) {
		watch_write(w, relpath, 1);
	} else if ((ev->mask & IN_ATTRIB) &&
	    fstatat(d->rootfd, relpath, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/*
		 * A write if the mtime (or what the name holds) changed:
		 * touch, touch -d.  chmod and chown change only the facts.
		 * (Gone by now: its delete event follows.)
		 */
		r = index_get(d->index, relpath);
		if (!r->exists || r->seq == 0 ||
		    r->mtime_ns != util_ts_ns(&st.st_mtim) ||
		    r->size != (uint64_t)st.st_size || r->ino != st.st_ino)
			watch_write(w, relpath, 1);
		else if (index_facts_differ(r, &st))
			index_touch(d->index, r);
	}
	free(relpath);
}

/*
 * Read and apply events until the queue is empty.  An overflow is
 * rescanned (or the rescan deferred) and the queue read again, so that
 * when this returns every write made before its last read was seen: the
 * window of any crawl closes (scan.c, scan_stamp).
 */
void
watch_drain(struct watch *w)
{
	struct daemon			*d = w->d;
	const struct inotify_event	*ev;
	char				 buf[64 * 1024]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t				 n;
	char				*p;
	int64_t				 before;

	for (;;) {
		before = util_now_ns();
		n = read(w->fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n > 0) {
			for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
				ev = (const struct inotify_event *)p;
				watch_apply(w, ev);
			}
			continue;
		}
		if (n == 0 || errno != EAGAIN) {
			log_warn("inotify read: %s", n == 0 ? "end of file" :
			    strerror(errno));
			return;
		}
		if (w->overflow) {
			w->overflow = 0;
			w->lost = 0;
			d->overflows++;
			scan_overflow(d);
			continue;
		}
		if (w->lost) {
			w->lost = 0;
			scan_rescan(d, "lost a watch");
			continue;
		}
		break;
	}
	stamp_close(d->stamp);
	/* Unless a rescan is still owed: then the overflow's time stands. */
	if (!d->rescan_pending)
		d->observed_ns = before;
}

static void
watch_read_cb(uv_poll_t *h, int status, int events)
{
	struct watch	*w = h->data;

	if (status != 0)
		log_warn("inotify poll: %s", uv_strerror(status));
	else
		watch_drain(w);
	daemon_batch_end(w->d);
}
