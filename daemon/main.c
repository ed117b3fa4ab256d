/*
 * depcheckd: options, the state directory and its lock, start-up (crawl,
 * then listen), the loop, and shutdown.  Everything else is called from
 * here or from libuv callbacks set up here.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "proto.h"
#include "xmalloc.h"
#include "registry.h"
#include "batch.h"
#include "daemon.h"
#include "db.h"
#include "index.h"
#include "life.h"
#include "log.h"
#include "news.h"
#include "notify.h"
#include "prune.h"
#include "publish.h"
#include "rescan.h"
#include "scan.h"
#include "server.h"
#include "stamp.h"
#include "sync.h"
#include "util.h"
#include "watch.h"

#define EXIT_RUNNING	3	/* another daemon holds the root */

static int	 ready_fd = -1;		/* to the parent, until ready */
static uv_signal_t sig_term, sig_int;
static uv_timer_t root_timer;

/* How often the daemon makes sure its root is still where it was. */
#define ROOT_CHECK_MS	2000
/* Blocks this large are mapped apart and unmapped when freed (main). */
#define MAIN_MMAP_THRESHOLD	(128 * 1024)

static void __attribute__((noreturn))
usage(FILE *f, int status)
{
	fprintf(f, "usage: depcheckd [--foreground] [--root DIR]"
	    " [--ignore GLOB]... [--sync-timeout MS]\n"
	    "                 [--max-connections N] [--idle-timeout MS]"
	    " [--idle-exit DURATION]\n"
	    "                 [--history N]\n"
	    "       depcheckd --help | --version\n");
	exit(status);
}

/* A whole number option in [min, max], or exit 2 saying why. */
static unsigned
daemon_number(const char *opt, const char *arg, unsigned long min,
    unsigned long max, const char *unit)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || *arg == '-' ||
	    v < min || v > max) {
		fprintf(stderr, "depcheckd: bad %s '%s' (%lu to %lu %s)\n",
		    opt, arg, min, max, unit);
		exit(2);
	}
	return ((unsigned)v);
}

/*
 * Fail during start-up: the message goes to the parent waiting in
 * daemon_fork() (or stderr in the foreground) and to the log.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
start_fail(int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	notify_send("STATUS=%s", msg);	/* systemctl status shows why */
	/* The parent prints it; the log, if open, keeps it too. */
	if (ready_fd != -1) {
		dprintf(ready_fd, "%d %s\n", status, msg);
		if (log_is_open())
			log_warn("%s", msg);
		log_close();
	} else
		log_warn("%s", msg);
	exit(status);
}

/*
 * Go to the background, but return in the parent only once the child
 * says the tree is watched (or why it failed): "depcheck start" relies on
 * it.  Only the child returns.
 */
static void
daemon_fork(const struct daemon *d)
{
	char	 buf[8192];
	ssize_t	 n;
	size_t	 len = 0;
	int	 fds[2], status, devnull;
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		fprintf(stderr, "depcheckd: cannot start the daemon for '%s':"
		    " cannot create a pipe: %s\n", d->root, strerror(errno));
		exit(2);
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "depcheckd: cannot start the daemon for '%s':"
		    " cannot fork: %s\n", d->root, strerror(errno));
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		ready_fd = fds[1];
		setsid();
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			if (devnull > STDERR_FILENO)
				close(devnull);
		}
		return;
	}
	close(fds[1]);
	while (len < sizeof buf - 1 &&
	    (n = read(fds[0], buf + len, sizeof buf - 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strncmp(buf, "0 ", 2) == 0)
		exit(0);
	if (len == 0) {
		fprintf(stderr, "depcheckd: the daemon for '%s' exited while"
		    " starting (see '%s')\n", d->root, d->logpath);
		exit(2);
	}
	status = (int)strtol(buf, NULL, 10);
	fprintf(stderr, "depcheckd: %s", strchr(buf, ' ') != NULL ?
	    strchr(buf, ' ') + 1 : buf);
	exit(status == EXIT_RUNNING ? EXIT_RUNNING : 2);
}



static void
daemon_walk_close_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}


static void
daemon_signal_cb(uv_signal_t *h, int signo)
{
	log_info("signal %d: stopping", signo);
	daemon_shutdown(h->data);
}

/*
 * The root deleted (rm -rf) or moved away: inotify says so only once the
 * directory is freed, which our own descriptor on it prevents, and the
 * socket went with it, so nobody could even stop us.  Look now and then,
 * and stop.
 */
static void
daemon_root_check_cb(uv_timer_t *h)
{
	struct daemon	*d = h->data;
	struct stat	 held, named;

	if (fstat(d->rootfd, &held) == 0 && held.st_nlink > 0 &&
	    stat(d->root, &named) == 0 && held.st_ino == named.st_ino &&
	    held.st_dev == named.st_dev)
		return;
	log_warn("the root '%s' was deleted or moved: stopping",
	    log_esc(d->root));
	daemon_shutdown(d);
}

/* A short socket path when ROOT/.depcheck/sock does not fit sun_path. */
static char *
daemon_sockpath(struct daemon *d)
{
	struct sockaddr_un	 sun;
	const char		*dir;
	char			*path, *note;
	uint64_t		 h = 14695981039346656037ULL;
	const char		*p;
	FILE			*f;
	int			 fd;

	xasprintf(&path, "%s/sock", d->statedir);
	xasprintf(&note, "%s/sockpath", d->statedir);
	if (strlen(path) < sizeof sun.sun_path) {
		unlink(note);
		free(note);
		return (path);
	}
	free(path);
	for (p = d->root; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	if ((dir = getenv("XDG_RUNTIME_DIR")) == NULL || *dir == '\0' ||
	    strlen(dir) > 64)
		dir = "/tmp";
	xasprintf(&path, "%s/depcheck-%u-%016" PRIx64 ".sock", dir,
	    (unsigned)getuid(), h);
	unlink(note);
	if ((fd = open(note, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL ||
	    fprintf(f, "%s\n", path) < 0 || fclose(f) != 0)
		start_fail(2, "cannot write '%s': %s", note, strerror(errno));
	free(note);
	return (path);
}

static void
daemon_lock(struct daemon *d)
{
	char	*path, buf[32];
	ssize_t	 n;
	int	 fd;

	xasprintf(&path, "%s/lock", d->statedir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		start_fail(2, "cannot open '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK)
			start_fail(2, "cannot lock '%s': %s", path,
			    strerror(errno));
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		start_fail(EXIT_RUNNING, "'%s' is already watched by pid %s",
		    d->root, *buf ? buf : "?");
	}
	/* Kept open (and locked) until exit. */
	d->lockfd = fd;
	if (ftruncate(fd, 0) != 0 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
		start_fail(2, "cannot write '%s': %s", path, strerror(errno));
	free(path);
}

/*
 * Create a state directory 0700 (the umask is 077 already, so there is no
 * moment when it is wider), or check the one there: a symlink planted in
 * its place, or a directory of another user's, is refused, not followed.
 */
static void
daemon_mkdir(const char *path)
{
	struct stat	st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		start_fail(2, "cannot create '%s': %s", path, strerror(errno));
	if (lstat(path, &st) != 0)
		start_fail(2, "cannot stat '%s': %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		start_fail(2, "'%s' is a symlink, not a directory (remove it)",
		    path);
	if (!S_ISDIR(st.st_mode))
		start_fail(2, "'%s' is not a directory", path);
	if (st.st_uid != getuid())
		start_fail(2, "'%s' belongs to uid %u, not to uid %u (remove"
		    " it)", path, (unsigned)st.st_uid, (unsigned)getuid());
	if ((st.st_mode & 077) != 0 && chmod(path, 0700) != 0)
		start_fail(2, "cannot chmod '%s': %s", path, strerror(errno));
}

/*
 * ROOT/.depcheck/seq repeats the database's reserved seq mark, written
 * before each reservation is committed, so that losing a damaged database
 * does not send the counter back: no seq is ever handed out twice.
 */
static uint64_t
daemon_seqmark_read(struct daemon *d)
{
	char		*path, buf[32];
	ssize_t		 n;

	xasprintf(&path, "%s/seq", d->statedir);
	d->seqmark_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (d->seqmark_fd == -1)
		start_fail(2, "cannot open '%s': %s", path, strerror(errno));
	free(path);
	n = pread(d->seqmark_fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return (strtoull(buf, NULL, 10));
}


/* Move a damaged database (and its WAL) aside, to be rebuilt by a crawl. */
static char *
daemon_db_aside(struct daemon *d)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 stamp[32], *from, *to, *aside;
	size_t		 i;
	int		 n = 0;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	xasprintf(&aside, "%s.corrupt-%s", d->dbpath, stamp);
	while (access(aside, F_OK) == 0) {	/* never overwrite evidence */
		free(aside);
		xasprintf(&aside, "%s.corrupt-%s.%d", d->dbpath, stamp, ++n);
	}
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		xasprintf(&from, "%s%s", d->dbpath, sfx[i]);
		xasprintf(&to, "%s%s", aside, sfx[i]);
		if (rename(from, to) != 0 && errno != ENOENT)
			start_fail(2, "cannot move '%s' aside: %s", from,
			    strerror(errno));
		free(from);
		free(to);
	}
	return (aside);
}

/*
 * A damaged database: moved aside, said why (once: damage found again
 * in the new one ends the start), rebuilt by the crawl that follows.
 */
static void
daemon_db_recover(struct daemon *d, char *cause)
{
	char	*aside;

	if (d->db_recovered != NULL)
		start_fail(2, "%s", cause);
	aside = daemon_db_aside(d);
	xasprintf(&d->db_recovered, "%s; moved to '%s', rebuilding"
	    " by a crawl", cause, aside);
	free(aside);
	free(cause);
	daemon_say(d, "%s", d->db_recovered);
}

static void
daemon_open_db(struct daemon *d)
{
	uint64_t	 floor = daemon_seqmark_read(d);
	char		*cause;
	int		 corrupt;

	for (;;) {
		d->index = index_new();
		if ((d->db = db_open(d->dbpath, &corrupt, &cause)) != NULL &&
		    db_load(d->db, d->index, floor, &corrupt, &cause) == 0)
			break;
		if (!corrupt)
			start_fail(2, "%s", cause);
		db_close(d->db);
		index_free(d->index);
		daemon_db_recover(d, cause);
	}
	if (db_is_new(d->db) && floor > 1 && d->db_recovered == NULL) {
		xasprintf(&d->db_recovered, "database '%s' was missing or"
		    " empty; rebuilding by a crawl", d->dbpath);
		daemon_say(d, "%s", d->db_recovered);
	}
}

/* statfs f_type of ext2, ext3 and ext4: they store whole seconds. */
#define DAEMON_EXT_MAGIC	0xEF53

/*
 * Learn what scan_floor() needs: the coarse clock's tick, which stamps
 * ctimes, and the root file system's timestamp granularity.  A file
 * written here with a sub-second ctime means nanoseconds; three whole
 * seconds in a row mean coarse timestamps: 1 s on ext2/3/4 (128-byte
 * inodes: no room for more), else 2 s assumed (FAT).  The granularity
 * bounds how long a clean stop waits (batch_stop).
 */
static void
daemon_probe_clock(struct daemon *d, struct scan_clock *c)
{
	struct timespec	 res;
	struct statfs	 sfs;
	struct stat	 st;
	char		*path;
	int		 fd, i;

	if (clock_getres(CLOCK_REALTIME_COARSE, &res) != 0 ||
	    (c->tick_ns = util_ts_ns(&res)) <= 0 || c->tick_ns > 100000000)
		c->tick_ns = 100000000;
	if (fstat(d->rootfd, &st) != 0)
		start_fail(2, "cannot stat '%s': %s", d->root, strerror(errno));
	c->root_dev = st.st_dev;
	c->root_gran_ns = 2000000000LL;
	xasprintf(&path, "%s/probe", d->statedir);
	for (i = 0; i < 3; i++) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd == -1 || write(fd, "x", 1) != 1 || fstat(fd, &st) != 0)
			start_fail(2, "cannot write '%s': %s", path,
			    strerror(errno));
		close(fd);
		if (st.st_ctim.tv_nsec != 0) {
			c->root_gran_ns = 1;
			break;
		}
	}
	unlink(path);
	free(path);
	if (c->root_gran_ns != 1 && fstatfs(d->rootfd, &sfs) == 0 &&
	    sfs.f_type == DAEMON_EXT_MAGIC)
		c->root_gran_ns = 1000000000LL;
	log_info("timestamps: %s on the root's file system, clock tick %"
	    PRId64 " ns", c->root_gran_ns == 1 ? "nanoseconds" :
	    c->root_gran_ns == 1000000000LL ? "seconds (ext2/3/4)" :
	    "coarse (2 s assumed)", c->tick_ns);
}

/* Remove cookies left by an earlier daemon (names are decimal only). */
static void
daemon_clean_cookies(const char *path)
{
	struct dirent	*de;
	DIR		*dir;

	if ((dir = opendir(path)) == NULL)
		start_fail(2, "cannot open '%s': %s", path, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '\0' &&
		    strspn(de->d_name, "0123456789") == strlen(de->d_name))
			unlinkat(dirfd(dir), de->d_name, 0);
	}
	closedir(dir);
}

/* A crawl found a file on a new inode: the image forgets the old one. */
static void
daemon_moved_cb(void *arg, const struct rec *r, const struct stat *st)
{
	struct daemon	*d = arg;

	publish_moved(d->publish, r, st);
}

/*
 * Create the event path and wire it up.  The calls go one way: batch.c
 * calls apply.c, rescan.c and watch.c; apply.c and rescan.c call scan.c;
 * scan.c calls watch.c.  Where a module must reach back up, it is given a
 * callback here: the watch's readable descriptor and a timer's rescan end
 * the batch; sync.c asks the batch whether everything is settled; the
 * batch tells its subscribers (the image, then the sync answers).
 */
static void
daemon_wire(struct daemon *d, const char *cookies,
    const struct scan_clock *clock)
{
	char	*cause;

	if ((d->watch = watch_new(d, &cause)) == NULL)
		start_fail(2, "%s", cause);
	if ((d->sync = sync_new(d, cookies, d->sync_timeout_ms,
	    &cause)) == NULL)
		start_fail(2, "%s", cause);
	if (watch_add_cookie_dir(d->watch, cookies, &cause) != 0)
		start_fail(2, "%s", cause);
	d->scan = scan_new(d->rootfd, d->root, d->index, d->stamp, d->watch,
	    d->ignore, clock);
	scan_set_moved(d->scan, daemon_moved_cb, d);
	/* Writes from here on are either crawled or queued as events. */
	d->rescan = rescan_new(d->loop, d->root, d->scan, d->watch, d->sync,
	    util_now_ns());
	d->batch = batch_new(d);
	rescan_set_end(d->rescan, batch_end_cb, d->batch);
	sync_set_settled(d->sync, batch_settled, batch_drained_cb,
	    d->batch);
	batch_subscribe(d->batch, BATCH_SETTLED, NULL, sync_batch_cb, d->sync);
	d->news = news_new(d);
}

/*
 * The first crawl: reconcile the tree with the records, everything
 * written since observed_ns (the last run's) suspect, into *found
 * (entries).  Returns 0, or -1 with an allocated cause if the integrity
 * check, which ran beside the load and the crawl, found the database
 * damaged: nothing is written to it, and the start begins again (main).
 */
static int
daemon_crawl(struct daemon *d, int64_t observed_ns, size_t *found,
    char **cause)
{
	int	progress = !d->foreground && isatty(STDERR_FILENO);
	int	corrupt = 0;

	scan_progress(d->scan, progress, notify_active());
	notify_send("STATUS=crawling '%s'\nEXTEND_TIMEOUT_USEC=%d",
	    log_esc(d->root), NOTIFY_EXTEND_USEC);
	*found = scan_tree(d->scan, "", SCAN_RECONCILE, observed_ns, NULL);
	if (progress && scan_crawled(d->scan) >= 10000)
		fprintf(stderr, "\rdepcheckd: indexed %zu entries\n",
		    scan_crawled(d->scan));
	scan_progress(d->scan, 0, 0);
	if (db_checked(d->db, &corrupt, cause) != 0) {
		if (!corrupt)
			start_fail(2, "%s", *cause);
		return (-1);
	}
	/* Writes made during the crawl are seen before anyone may ask. */
	batch_end(d->batch);
	if (d->db_failed)
		start_fail(2, "%s", d->db_cause);
	return (0);
}

/* The command line into d; returns the root as given. */
static const char *
daemon_options(struct daemon *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground",	  no_argument,	     NULL, 'f' },
		{ "root",	  required_argument, NULL, 'r' },
		{ "ignore",	  required_argument, NULL, 'i' },
		{ "sync-timeout", required_argument, NULL, 's' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "idle-exit",	  required_argument, NULL, 'x' },
		{ "history",	  required_argument, NULL, 'H' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ "version",	  no_argument,	     NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*root = ".";
	int		 ch, nignore = 0;

	d->starting = 1;
	d->sync_timeout_ms = 10000;
	d->max_conns = 256;
	d->idle_timeout_ms = 60000;
	d->history_max = DB_HISTORY_DEFAULT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":fr:i:s:m:t:x:H:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			d->foreground = 1;
			break;
		case 'r':
			root = optarg;
			break;
		case 'i':
			d->ignore = xreallocarray(d->ignore, nignore + 2,
			    sizeof *d->ignore);
			d->ignore[nignore++] = optarg;
			d->ignore[nignore] = NULL;
			break;
		case 's':
			d->sync_timeout_ms = daemon_number("--sync-timeout",
			    optarg, 1, 3600000, "ms");
			break;
		case 'm':
			d->max_conns = daemon_number("--max-connections",
			    optarg, 1, 65536, "connections");
			break;
		case 't':
			d->idle_timeout_ms = daemon_number("--idle-timeout",
			    optarg, 1, 86400000, "ms");
			break;
		case 'x':
			if (registry_duration(optarg, &d->idle_exit_ms) != 0) {
				fprintf(stderr, "depcheckd: bad --idle-exit '%s'"
				    " (a duration such as 90s, 30m, 2h or 1d;"
				    " 0: never)\n", optarg);
				exit(2);
			}
			break;
		case 'H':
			d->history_max = daemon_number("--history", optarg,
			    100, 1000000000, "writes");
			break;
		case 'V':
			printf("depcheckd %s (protocol %d)\n",
			    DEPCHECK_VERSION, PROTO_VERSION);
			exit(0);
		case 'h':
			usage(stdout, 0);
		default:
			fprintf(stderr, "depcheckd: %s '%s'\n", ch == ':' ?
			    "missing value of option" : "unknown option",
			    strncmp(argv[optind - 1], "--", 2) != 0 &&
			    optopt != 0 && optopt < 0x80 ?
			    (char [3]){ '-', (char)optopt, '\0' } :
			    argv[optind - 1]);
			usage(stderr, 2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "depcheckd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr, 2);
	}
	return (root);
}

/*
 * The root, resolved, and the paths in its state directory; returns the
 * cookie directory's.
 */
static char *
daemon_paths(struct daemon *d, const char *root)
{
	char		 rootbuf[PATH_MAX], *cookies;
	struct stat	 st;

	umask(077);
	if (realpath(root, rootbuf) == NULL) {
		fprintf(stderr, "depcheckd: cannot use root '%s': %s\n", root,
		    strerror(errno));
		exit(2);
	}
	if (stat(rootbuf, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "depcheckd: root '%s' is not a directory\n",
		    rootbuf);
		exit(2);
	}
	d->root = xstrdup(rootbuf);
	xasprintf(&d->statedir, "%s/%s", d->root, STATE_DIR);
	xasprintf(&d->dbpath, "%s/state.db", d->statedir);
	xasprintf(&d->logpath, "%s/depcheckd.log", d->statedir);
	xasprintf(&cookies, "%s/cookies", d->statedir);
	return (cookies);
}

/* The loop, the root check and the signals that stop the daemon. */
static void
daemon_loop_init(struct daemon *d, uv_loop_t *loop)
{
	uv_loop_init(loop);
	d->loop = loop;
	uv_timer_init(d->loop, &root_timer);
	root_timer.data = d;
	uv_timer_start(&root_timer, daemon_root_check_cb, ROOT_CHECK_MS,
	    ROOT_CHECK_MS);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	uv_signal_init(d->loop, &sig_term);
	uv_signal_init(d->loop, &sig_int);
	sig_term.data = sig_int.data = d;
	uv_signal_start(&sig_term, daemon_signal_cb, SIGTERM);
	uv_signal_start(&sig_int, daemon_signal_cb, SIGINT);
}

/*
 * Started: say so in the log, to the service manager and to the parent
 * waiting in daemon_fork, whose stderr is let go.
 */
static void
daemon_ready(struct daemon *d, size_t found)
{
	int	 fd;

	log_info("watching '%s': %zu entries, %zu directories, seq %" PRIu64,
	    log_esc(d->root), found, watch_count(d->watch),
	    index_peek_seq(d->index) - 1);

	d->starting = 0;
	/*
	 * READY=1 only after the crawl, the watches and the socket: what
	 * the service manager starts next finds every file recorded
	 * (tests/integ/t8002-notify.sh, t8003-systemd-unit.sh).
	 */
	notify_send("READY=1\nSTATUS=watching '%s': %zu entries, %zu"
	    " directories", log_esc(d->root), found, watch_count(d->watch));
	if (ready_fd != -1) {
		dprintf(ready_fd, "0 ready\n");
		close(ready_fd);
		ready_fd = -1;
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
}

/*
 * From the database to the first crawl's commit: 0 and *found (entries),
 * or -1 and an allocated cause if the integrity check found the database
 * damaged after the crawl (daemon_crawl).
 */
static int
daemon_begin(struct daemon *d, uv_loop_t *loop, const char *cookies,
    const struct scan_clock *clock, size_t *found, char **cause)
{
	int64_t	 observed_ns;

	daemon_open_db(d);
	db_set_history_max(d->db, d->history_max);
	d->prune = prune_new(d->index, d->db);
	observed_ns = db_get_meta(d->db, "observed_ns", 0);
	/* For the image, made when exec first asks (publish_open). */
	d->publish_floor_ns = db_get_meta(d->db, "presented_high", 0);
	d->publish_from = index_peek_seq(d->index);
	publish_clear(d);

	d->stamp = stamp_new(d->index, d->rootfd);
	daemon_loop_init(d, loop);
	/* The crawl's commit on, checkpoints stay off the loop. */
	db_checkpoints(d->db, d->loop);
	daemon_wire(d, cookies, clock);
	/* In the history, the reconciliation's writes follow a start. */
	batch_mark(d->batch, PROTO_START);
	/* A new database: nothing found now was seen written (issue 14). */
	stamp_first_sight(d->stamp, db_is_new(d->db));
	d->first_sight_ns = db_is_new(d->db) ? util_now_ns() :
	    db_get_meta(d->db, "first_sight_ns", 0);
	return (daemon_crawl(d, observed_ns, found, cause));
}

/*
 * Free the event path, the loop, the database and the records, at a stop
 * (daemon_teardown) and at a start whose database its integrity check
 * found damaged only after the crawl (main), where daemon_begin then
 * makes them anew (the image is made only once the daemon serves).
 * Returns 0, or 2 if the loop would not close.
 */
static int
daemon_unwind(struct daemon *d)
{
	int	 rc, status = 0;

	batch_free(d->batch);
	news_free(d->news);
	publish_free(d->publish);
	sync_free(d->sync);
	rescan_free(d->rescan);
	watch_free(d->watch);
	uv_walk(d->loop, daemon_walk_close_cb, NULL);
	/* Also until a checkpoint running in the pool is done (db.c). */
	uv_run(d->loop, UV_RUN_DEFAULT);
	/*
	 * With every handle closed and every request done, the loop closes:
	 * UV_EBUSY is a handle or request that outlived its owner, a bug
	 * said in the log and in the exit status
	 * (tests/integ/t1012-clean-exit.sh).
	 */
	if ((rc = uv_loop_close(d->loop)) != 0) {
		log_warn("internal error: cannot close the event loop: %s (a"
		    " handle or request is still open)", uv_strerror(rc));
		status = 2;
	}
	prune_free(d->prune);
	db_close(d->db);
	index_free(d->index);
	scan_free(d->scan);
	stamp_free(d->stamp);
	return (status);
}

/*
 * Close everything in the order that lets each owner finish (the last
 * batch commits before the database closes; the loop closes only once
 * every handle is); returns the exit status.
 */
static int
daemon_teardown(struct daemon *d, char *cookies)
{
	int	 status;

	log_info("stopping");
	server_free(d->server);
	batch_stop(d->batch);
	status = daemon_unwind(d);
	close(d->rootfd);
	log_info("stopped");
	notify_close();
	log_close();
	free(d->ignore);
	free(d->db_cause);
	free(d->db_recovered);
	close(d->seqmark_fd);
	free(d->root);
	free(d->statedir);
	free(d->sockpath);
	free(d->dbpath);
	free(d->logpath);
	free(cookies);
	life_free(d->life);	/* last: stop --all waits for its lock */
	return (status);
}

int
main(int argc, char **argv)
{
	struct daemon	 d;
	struct scan_clock clock;
	uv_loop_t	 loop;
	char		*cause, *cookies;
	size_t		 found;

#ifdef __GLIBC__
	/*
	 * A crawl's arrays (scan.c, stamp.c, the dirty list) grow to the
	 * size of the tree and are freed when it ends.  glibc would raise its
	 * mmap threshold to the largest block freed, so the next crawl's
	 * arrays would come from the heap and stay there after it: setting
	 * the thresholds turns that off (mallopt(3)).
	 */
	mallopt(M_MMAP_THRESHOLD, MAIN_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, MAIN_MMAP_THRESHOLD);
	/*
	 * One arena for every thread: a crawl's listing threads (lister.c)
	 * allocate what the loop's thread frees, which in arenas of their
	 * own would stay there, resident, after the crawl.
	 */
	mallopt(M_ARENA_MAX, 1);
#endif
	memset(&d, 0, sizeof d);
	cookies = daemon_paths(&d, daemon_options(&d, argc, argv));
	if (!d.foreground)
		daemon_fork(&d);
	else	/* maybe a service's main process: contrib/systemd */
		notify_open();
	daemon_mkdir(d.statedir);
	daemon_lock(&d);
	daemon_mkdir(cookies);
	daemon_clean_cookies(cookies);
	if (log_open(d.logpath, d.foreground) != 0)
		start_fail(2, "cannot open log '%s': %s", d.logpath,
		    strerror(errno));
	if ((d.life = life_new(&d, &cause)) == NULL)
		start_fail(2, "%s", cause);
	d.started_ns = util_now_ns();
	d.sockpath = daemon_sockpath(&d);
	log_info("depcheckd %s (libuv %s, sqlite %s) root '%s' socket '%s'"
	    " protocol %d pid %ld", DEPCHECK_VERSION, uv_version_string(),
	    sqlite3_libversion(), log_esc(d.root), log_esc(d.sockpath),
	    PROTO_VERSION, (long)getpid());
	if ((d.rootfd = open(d.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		start_fail(2, "cannot open '%s': %s", d.root, strerror(errno));

	daemon_probe_clock(&d, &clock);
	/* Damage only the check found: all over again, from a new one. */
	while (daemon_begin(&d, &loop, cookies, &clock, &found, &cause) != 0) {
		(void)daemon_unwind(&d);
		daemon_db_recover(&d, cause);
	}
	stamp_first_sight(d.stamp, 0);
	if (watch_start(d.watch, batch_events_cb, d.batch, &cause) != 0)
		start_fail(2, "%s", cause);
	if ((d.server = server_new(&d, d.sockpath, &cause)) == NULL)
		start_fail(2, "%s", cause);
	life_start(d.life);
	daemon_ready(&d, found);
	uv_run(d.loop, UV_RUN_DEFAULT);
	return (daemon_teardown(&d, cookies));
}
