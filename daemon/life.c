/*
 * The daemon's life (see life.h): the state directory it must keep
 * holding, its entry in the registry of this user's daemons, and the idle
 * exit.  Called from main.c; conn.c and server.c report activity.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "xmalloc.h"
#include "registry.h"
#include "daemon.h"
#include "life.h"
#include "log.h"

/* How often the state directory is checked: the bound on noticing. */
#define LIFE_CHECK_MS		1000
/* How long a starting daemon waits for an orphan of its root to go. */
#define LIFE_ORPHAN_WAIT_MS	10000

struct life {
	struct daemon	*d;
	int		 statefd;	/* ROOT/.depcheck, held open */
	struct stat	 db_st;		/* state.db as the daemon opened it */
	int		 db_known;
	struct stat	 sock_st;	/* the socket as the server bound it */
	int		 sock_known;
	unsigned	 nconns;	/* open connections (server.c says) */
	char		*regpath;	/* the registry directory */
	int		 regfd;		/* or -1 */
	int		 entryfd;	/* our entry, locked; or -1 */
	uv_timer_t	 check;
	uv_timer_t	 idle;
	int		 started;	/* the timers exist */
	uint64_t	 last_active;	/* uv_now() of the last activity */
};

static void	 life_check_cb(uv_timer_t *);
static void	 life_idle_cb(uv_timer_t *);

static int
life_same(const struct stat *a, const struct stat *b)
{
	return (a->st_ino == b->st_ino && a->st_dev == b->st_dev);
}

/* Does name in the state directory still name the file of fd? */
static int
life_same_fd(struct life *l, const char *name, int fd)
{
	struct stat	held, named;

	return (fstat(fd, &held) == 0 && held.st_nlink > 0 &&
	    fstatat(l->statefd, name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	    life_same(&held, &named));
}

/* Is ROOT/.depcheck still the directory we hold? */
static int
life_statedir_ok(struct life *l)
{
	struct stat	held, named;

	return (fstat(l->statefd, &held) == 0 && held.st_nlink > 0 &&
	    lstat(l->d->statedir, &named) == 0 && life_same(&held, &named));
}

/* The .gitignore that keeps the state directory out of git status. */
static void
life_gitignore(struct life *l)
{
	int	fd;

	fd = openat(l->statefd, ".gitignore", O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		if (errno != EEXIST)
			log_warn("cannot create '%s/.gitignore': %s",
			    log_esc(l->d->statedir), strerror(errno));
		return;
	}
	if (write(fd, "*\n", 2) != 2)
		log_warn("cannot write '%s/.gitignore': %s",
		    log_esc(l->d->statedir), strerror(errno));
	close(fd);
}

/*
 * A registered daemon of our root that is not us is an orphan: it holds
 * a lock too, so not the lock we hold; its state directory (or lock) was
 * removed or replaced.  It notices that within LIFE_CHECK_MS, but it is
 * stopped now, and waited for, so that it never removes or writes what
 * this daemon is about to create (tests/integ/t5021-state-dir-life.sh).
 */
static void
life_stop_orphan(struct life *l, pid_t pid)
{
	struct timespec	ts = { 0, 10000000L };
	int		fd, i;

	if ((fd = registry_entry_open(l->regfd, pid)) == -1)
		return;
	log_warn("pid %ld still runs for '%s' with a state directory that"
	    " was removed or replaced: stopping it", (long)pid,
	    log_esc(l->d->root));
	if (kill(pid, SIGTERM) != 0) {
		log_warn("cannot signal pid %ld: %s", (long)pid,
		    strerror(errno));
		close(fd);
		return;
	}
	for (i = 0; i < LIFE_ORPHAN_WAIT_MS / 10; i++) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0)
			break;
		nanosleep(&ts, NULL);	/* another process's exit */
	}
	if (i == LIFE_ORPHAN_WAIT_MS / 10)
		log_warn("pid %ld did not stop within %d s", (long)pid,
		    LIFE_ORPHAN_WAIT_MS / 1000);
	close(fd);
}

static void
life_register(struct life *l)
{
	struct registry_entry	*e;
	size_t			 n, i;
	char			*cause;

	if ((l->regfd = registry_open(l->regpath, 1, &cause)) < 0) {
		daemon_say(l->d, "%s; depcheck list will not show this daemon",
		    cause);
		free(cause);
		l->regfd = -1;
		return;
	}
	n = registry_list(l->regfd, &e);
	for (i = 0; i < n; i++) {
		if (e[i].pid != getpid() && strcmp(e[i].root, l->d->root) == 0)
			life_stop_orphan(l, e[i].pid);
	}
	registry_free(e, n);
	if ((l->entryfd = registry_add(l->regfd, l->d->root, &cause)) == -1) {
		daemon_say(l->d, "registry '%s': %s; depcheck list will not"
		    " show this daemon", l->regpath, cause);
		free(cause);
	}
}

struct life *
life_new(struct daemon *d, char **cause)
{
	struct life	*l;

	l = xcalloc(1, sizeof *l);
	l->d = d;
	l->regfd = l->entryfd = -1;
	l->statefd = open(d->statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (l->statefd == -1) {
		xasprintf(cause, "cannot open '%s': %s", d->statedir,
		    strerror(errno));
		free(l);
		return (NULL);
	}
	life_gitignore(l);
	l->regpath = registry_path();
	life_register(l);
	return (l);
}

void
life_start(struct life *l)
{
	struct daemon	*d = l->d;

	l->db_known = lstat(d->dbpath, &l->db_st) == 0;
	l->sock_known = lstat(d->sockpath, &l->sock_st) == 0;
	uv_timer_init(d->loop, &l->check);
	l->check.data = l;
	uv_timer_start(&l->check, life_check_cb, LIFE_CHECK_MS,
	    LIFE_CHECK_MS);
	uv_timer_init(d->loop, &l->idle);
	l->idle.data = l;
	l->last_active = uv_now(d->loop);
	if (d->idle_exit_ms > 0) {
		log_info("exits after %" PRIu64 " s without a request or"
		    " connection (--idle-exit)", d->idle_exit_ms / 1000);
		uv_timer_start(&l->idle, life_idle_cb, d->idle_exit_ms, 0);
	}
	l->started = 1;
}

void
life_free(struct life *l)
{
	if (l == NULL)
		return;
	if (l->entryfd != -1) {
		registry_remove(l->regfd, l->entryfd);
		close(l->entryfd);
	}
	if (l->regfd != -1)
		close(l->regfd);
	close(l->statefd);
	free(l->regpath);
	free(l);
}

void
life_activity(struct life *l)
{
	if (l != NULL && l->started)
		l->last_active = uv_now(l->d->loop);
}

void
life_conns(struct life *l, unsigned n)
{
	if (l == NULL)
		return;
	l->nconns = n;
	life_activity(l);
}

int
life_owns(struct life *l)
{
	if (l == NULL)
		return (1);
	return (life_statedir_ok(l) && life_same_fd(l, "lock", l->d->lockfd));
}

/*
 * What of the daemon's state is gone or not its own any more: an
 * allocated path, or NULL when all is well.  The directory, its lock (a
 * new daemon could take the root), the socket (nobody could reach us),
 * the database and the seq mark (what we write would be lost).
 */
static char *
life_lost(struct life *l)
{
	struct daemon	*d = l->d;
	struct stat	 st;
	char		*path;

	if (!life_statedir_ok(l))
		return (xstrdup(d->statedir));
	path = NULL;
	if (!life_same_fd(l, "lock", d->lockfd))
		xasprintf(&path, "%s/lock", d->statedir);
	else if (!life_same_fd(l, "seq", d->seqmark_fd))
		xasprintf(&path, "%s/seq", d->statedir);
	else if (l->db_known && (lstat(d->dbpath, &st) != 0 ||
	    !life_same(&st, &l->db_st)))
		path = xstrdup(d->dbpath);
	else if (l->sock_known && (lstat(d->sockpath, &st) != 0 ||
	    !life_same(&st, &l->sock_st)))
		path = xstrdup(d->sockpath);
	return (path);
}

static void
life_check_cb(uv_timer_t *h)
{
	struct life	*l = h->data;
	char		*path;

	if ((path = life_lost(l)) == NULL)
		return;
	log_warn("'%s' was removed or replaced: stopping (depcheck start"
	    " starts a new daemon)", log_esc(path));
	free(path);
	uv_timer_stop(&l->check);
	daemon_shutdown(l->d);
}

static void
life_idle_cb(uv_timer_t *h)
{
	struct life	*l = h->data;
	struct daemon	*d = l->d;
	uint64_t	 now = uv_now(d->loop), idle;

	if (l->nconns > 0)
		l->last_active = now;
	idle = now - l->last_active;
	if (idle < d->idle_exit_ms) {
		uv_timer_start(&l->idle, life_idle_cb,
		    d->idle_exit_ms - idle, 0);
		return;
	}
	log_info("no request for %" PRIu64 " s (--idle-exit): stopping",
	    idle / 1000);
	daemon_shutdown(d);
}

uint64_t
life_rss_bytes(void)
{
	char	 buf[128], *p, *end;
	long	 page = sysconf(_SC_PAGESIZE);
	ssize_t	 n;
	int	 fd;

	/* "size resident shared ...", in pages */
	if ((fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || page <= 0)
		return (0);
	buf[n] = '\0';
	if ((p = strchr(buf, ' ')) == NULL)
		return (0);
	errno = 0;
	n = (ssize_t)strtoll(p + 1, &end, 10);
	if (errno != 0 || end == p + 1 || n < 0)
		return (0);
	return ((uint64_t)n * (uint64_t)page);
}
