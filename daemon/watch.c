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

#include "xmalloc.h"
#include "daemon.h"
#include "index.h"
#include "log.h"
#include "util.h"
#include "watch.h"
#include "wdmap.h"

#define WATCH_MASK	(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | \
			 IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | \
			 IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define COOKIE_MASK	(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW)

struct watch {
	struct daemon	 *d;
	int		  fd;
	uv_poll_t	  poll;
	int		  polling;	/* poll initialised (watch_start) */
	void		(*readable)(void *);
	void		 *readable_arg;
	struct wdmap	 *map;
	struct index	 *unwatched;	/* directories we could not watch */
	struct index	 *remote;	/* directories on remote file systems */
	size_t		  nremote;
	dev_t		  devs[16];	/* file systems already classified */
	int		  dev_remote[16];
	size_t		  ndevs;
	unsigned long	  test_remote;	/* testing aid: this f_type is remote */
	size_t		  nunwatched;
	size_t		  max_watches;	/* testing aid: DEPCHECKD_MAX_WATCHES */
	int		  warned;	/* the loud line was printed */
};

static void	 watch_read_cb(uv_poll_t *, int, int);
static void	 watch_close_cb(uv_handle_t *);

struct watch *
watch_new(struct daemon *d, char **cause)
{
	struct watch	*w;
	const char	*env;

	w = xcalloc(1, sizeof *w);
	w->d = d;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot create inotify instance: %s%s",
		    strerror(errno), errno == EMFILE ?
		    " (raise fs.inotify.max_user_instances)" : "");
		free(w);
		return (NULL);
	}
	w->map = wdmap_new();
	w->unwatched = index_new();
	w->remote = index_new();
	if ((env = getenv("DEPCHECKD_MAX_WATCHES")) != NULL)
		w->max_watches = strtoul(env, NULL, 10);
	if ((env = getenv("DEPCHECKD_TEST_REMOTE_FSTYPE")) != NULL)
		w->test_remote = strtoul(env, NULL, 0);
	return (w);
}

int
watch_start(struct watch *w, void (*fn)(void *), void *arg, char **cause)
{
	int	rc;

	w->readable = fn;
	w->readable_arg = arg;
	uv_poll_init(w->d->loop, &w->poll, w->fd);
	w->poll.data = w;
	w->polling = 1;
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

	close(w->fd);
	wdmap_free(w->map);
	index_free(w->unwatched);
	index_free(w->remote);
	free(w);
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->polling)
		uv_close((uv_handle_t *)&w->poll, watch_close_cb);
	else {
		w->poll.data = w;
		watch_close_cb((uv_handle_t *)&w->poll);
	}
}

static void
watch_mark_unwatched(struct watch *w, const char *relpath)
{
	struct rec	*r = index_get(w->unwatched, relpath);

	if (!r->exists)
		w->nunwatched++;
	r->exists = 1;
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

struct index *
watch_take_unwatched(struct watch *w)
{
	struct index	*set = w->unwatched;

	w->unwatched = index_new();
	w->nunwatched = 0;
	w->warned = 0;
	return (set);
}

int
watch_add_dir(struct watch *w, const char *relpath, char **cause)
{
	char	*abspath;
	int	 wd, error;

	xasprintf(&abspath, "%s%s%s", w->d->root, *relpath ? "/" : "",
	    relpath);
	if (w->max_watches != 0 &&
	    wdmap_count(w->map) >= w->max_watches + 1) {
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
	wdmap_put(w->map, wd, relpath, 0);
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
	wdmap_put(w->map, wd, "", 1);
	return (0);
}

static void
watch_remove_cb(struct wdent *e, void *arg)
{
	struct watch	*w = arg;

	inotify_rm_watch(w->fd, e->wd);
	wdmap_forget(w->map, e->wd);
}

void
watch_remove_under(struct watch *w, const char *prefix)
{
	wdmap_foreach_under(w->map, prefix, watch_remove_cb, w);
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
	return (wdmap_count(w->map));
}

struct wdmap *
watch_map(struct watch *w)
{
	return (w->map);
}

size_t
watch_unwatched_count(struct watch *w)
{
	return (w->nunwatched);
}

ssize_t
watch_read(struct watch *w, void *buf, size_t size)
{
	return (read(w->fd, buf, size));
}

/* Readable: the batch drains the queue and ends (batch_end). */
static void
watch_read_cb(uv_poll_t *h, int status, int events)
{
	struct watch	*w = h->data;

	if (status != 0)
		log_warn("cannot poll the inotify events of '%s': %s",
		    log_esc(w->d->root), uv_strerror(status));
	w->readable(w->readable_arg);
}
