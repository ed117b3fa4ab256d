/*
 * The exec preload library (DESIGN section 10): `depcheck exec` puts it in
 * LD_PRELOAD.  In a build tool (make, gmake, ninja, samu and the names in
 * DEPCHECK_EXEC_TOOLS) every successful stat of a file the daemon has
 * published in the shared image (proto/image.h) returns, as st_mtime, the
 * file's presented time (daemon/publish.c): write order, as time.  Every
 * other program, field and file sees the real stat: the library only
 * ever changes the caller's copy of st_mtime.
 *
 * Sync.  A tool must see every write that completed before it looks.  It
 * syncs with the daemon (one SYNC round trip on a connection kept open)
 * before its first stat, and again before the first stat after it reaped
 * a child (the recipe that wrote the target); between syncs a stat reads
 * the image and costs no IPC.  The image is keyed by (st_dev, st_ino),
 * which the real stat has just returned: no path is resolved.  An entry
 * whose ctime is not the file's is a write the image does not have yet:
 * the library syncs once more, and a file still newer than its entry is
 * presented as newer than everything published.
 *
 * Anything that stops the library from helping (no daemon, a damaged or
 * retired image) is said once per process on stderr, and the tool goes on
 * with real mtimes.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "image.h"
#include "client.h"

#define EXPORT		__attribute__((visibility("default")))
#define TLS		__attribute__((tls_model("initial-exec"))) __thread

/* How long a busy image may keep the tool waiting, in 1 ms naps. */
#define PRELOAD_BUSY_NAPS	2000
/* Connections tried before a sync counts as failed, 20 ms apart. */
#define PRELOAD_SYNC_TRIES	50
/* Files whose mismatch already cost a sync (direct-mapped). */
#define PRELOAD_MEMO		64

static const char *const preload_tools[] = { "make", "gmake", "ninja", "samu" };

struct preload_seen {		/* --why: what the tool saw so far */
	uint64_t	 dev;
	uint64_t	 ino;
	int64_t		 real_ns;
	int64_t		 presented_ns;
	int		 tied;		/* IMAGE_TIED */
	char		*path;
};

static struct {
	int			 state;		/* 0 unknown, 1 on, -1 off */
	int			 broken;	/* gave up: real mtimes */
	char			*root;
	struct client		 c;
	pid_t			 conn_pid;	/* c.fd belongs to it */
	int			 need_sync;
	void			*map;		/* the image, read-only */
	size_t			 size;
	int64_t			 shift;		/* presented times > clock */
	int			 why;
	struct preload_seen	*seen;
	size_t			 nseen;
	size_t			 seen_cap;
	struct {
		uint64_t	 dev;
		uint64_t	 ino;
		int64_t		 ctime_ns;
	}			 memo[PRELOAD_MEMO];
} pl;

static pthread_mutex_t	pl_lock = PTHREAD_MUTEX_INITIALIZER;
static TLS int		pl_busy;	/* inside the library: pass through */

/* The real functions, found on first use. */
#define REAL(name)	static __typeof__(name) *real_##name
static void	*preload_real(const char *);

/*
 * glibc 2.33 dropped these from its headers but keeps them for binaries
 * built before (Debian 12's make links __xstat and friends).  The names
 * are glibc's, reserved or not.
 */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int	__xstat(int, const char *, struct stat *);
int	__xstat64(int, const char *, struct stat64 *);
int	__lxstat(int, const char *, struct stat *);
int	__lxstat64(int, const char *, struct stat64 *);
int	__fxstat(int, int, struct stat *);
int	__fxstat64(int, int, struct stat64 *);
int	__fxstatat(int, int, const char *, struct stat *, int);
int	__fxstatat64(int, int, const char *, struct stat64 *, int);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

REAL(stat);
REAL(stat64);
REAL(lstat);
REAL(lstat64);
REAL(fstat);
REAL(fstat64);
REAL(fstatat);
REAL(fstatat64);
REAL(statx);
REAL(__xstat);
REAL(__xstat64);
REAL(__lxstat);
REAL(__lxstat64);
REAL(__fxstat);
REAL(__fxstat64);
REAL(__fxstatat);
REAL(__fxstatat64);
REAL(wait);
REAL(waitpid);
REAL(wait3);
REAL(wait4);
REAL(waitid);

static void *
preload_real(const char *name)
{
	void	*p;

	if ((p = dlsym(RTLD_NEXT, name)) == NULL) {
		fprintf(stderr, "depcheck: exec: no '%s' in the C library\n",
		    name);
		abort();
	}
	return (p);
}

#define RESOLVE(name) do {						\
	if (real_##name == NULL)					\
		real_##name = (__typeof__(name) *)preload_real(#name);	\
} while (0)

/* One line on stderr, as every depcheck message. */
static void __attribute__((format(printf, 1, 2)))
preload_say(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	len;

	len = snprintf(buf, sizeof buf, "depcheck: %s: ",
	    program_invocation_short_name);
	va_start(ap, fmt);
	if (len >= 0 && (size_t)len < sizeof buf)
		vsnprintf(buf + len, sizeof buf - (size_t)len, fmt, ap);
	va_end(ap);
	len = (int)strlen(buf);
	if ((size_t)len < sizeof buf - 1)
		buf[len++] = '\n';
	(void)!write(STDERR_FILENO, buf, (size_t)len);
}

/* Give up for the rest of this process, saying why once. */
static void
preload_break(const char *cause)
{
	if (!pl.broken)
		preload_say("%s; comparing real mtimes from here on", cause);
	pl.broken = 1;
}

/* Is this process a build tool under depcheck exec? */
static int
preload_is_tool(void)
{
	const char	*name = program_invocation_short_name, *env;
	size_t		 i, len;

	for (i = 0; i < sizeof preload_tools / sizeof *preload_tools; i++) {
		if (strcmp(name, preload_tools[i]) == 0)
			return (1);
	}
	if ((env = getenv("DEPCHECK_EXEC_TOOLS")) == NULL)
		return (0);
	len = strlen(name);
	while (*env != '\0') {
		i = strcspn(env, ":, ");
		if (i == len && strncmp(env, name, len) == 0)
			return (1);
		env += i;
		env += strspn(env, ":, ");
	}
	return (0);
}

/* Decide, once, whether this process presents times. */
static int
preload_on(void)
{
	const char	*root, *why;

	if (pl.state != 0)
		return (pl.state == 1);
	pl.state = -1;
	root = getenv("DEPCHECK_EXEC_ROOT");
	if (root == NULL || *root != '/' || !preload_is_tool())
		return (0);
	pl.root = strdup(root);
	if (pl.root == NULL)
		return (0);
	pl.c.fd = -1;
	pl.need_sync = 1;
	why = getenv("DEPCHECK_EXEC_WHY");
	pl.why = why != NULL && strcmp(why, "1") == 0;
	pl.state = 1;
	return (1);
}

static void
preload_unmap(void)
{
	if (pl.map != NULL)
		munmap(pl.map, pl.size);
	pl.map = NULL;
	pl.size = 0;
}

/* Map ROOT/.depcheck/image; -1 with an allocated cause. */
static int
preload_map(char **cause)
{
	struct stat	 st;
	const char	*why;
	char		*path;
	void		*p;
	int		 fd, error;

	preload_unmap();
	xasprintf(&path, "%s/.depcheck/image", pl.root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		error = errno;
		xasprintf(cause, "cannot open '%s': %s", path,
		    strerror(error));
		free(path);
		return (-1);
	}
	RESOLVE(fstat);
	if (real_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != getuid()) {
		xasprintf(cause, "'%s' is not a file of uid %u", path,
		    (unsigned)getuid());
		goto fail;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		xasprintf(cause, "cannot map '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (image_check(p, (size_t)st.st_size, &why) != 0) {
		xasprintf(cause, "image '%s' is unusable: %s", path, why);
		munmap(p, (size_t)st.st_size);
		goto fail;
	}
	close(fd);
	free(path);
	pl.map = p;
	pl.size = (size_t)st.st_size;
	return (0);

fail:
	close(fd);
	free(path);
	return (-1);
}

/* Read the image's header, waiting out a busy writer. */
static int
preload_hdr(uint64_t *retired, uint64_t *max_seq, int64_t *max_presented)
{
	struct timespec	nap = { 0, 1000000 };
	int		i;

	for (i = 0; i < PRELOAD_BUSY_NAPS; i++) {
		switch (image_read_hdr(pl.map, pl.size, retired, max_seq,
		    max_presented)) {
		case IMAGE_FOUND:
			return (0);
		case IMAGE_BUSY:
			nanosleep(&nap, NULL);
			break;
		default:
			return (-1);
		}
	}
	return (-1);
}

/* One IMAGE on the kept connection; -1 with an allocated cause. */
static int
preload_sync_once(char **cause)
{
	uint8_t		*payload;
	uint32_t	 len;
	uint64_t	 seq;
	const char	*why;
	int		 rc;

	if (pl.c.fd != -1 && pl.conn_pid != getpid()) {
		/* A forked child: the connection is the parent's. */
		client_close(&pl.c);
	}
	if (pl.c.fd == -1) {
		/* The HELLO goes out with the SYNC: one round trip. */
		rc = client_open(&pl.c, pl.root, cause);
		if (rc != 0) {
			if (rc == 1)
				xasprintf(cause, "no daemon for '%s'",
				    pl.root);
			client_close(&pl.c);
			return (-1);
		}
		pl.conn_pid = getpid();
	}
	/* IMAGE: a sync that also has the daemon publish the image. */
	if (client_simple(&pl.c, PROTO_MSG_IMAGE, PROTO_MSG_SYNC_OK, &payload,
	    &len, cause) != 0) {
		client_close(&pl.c);
		return (-1);
	}
	rc = proto_unpack_value(PROTO_MSG_SYNC_OK, payload, len, &seq, &why);
	free(payload);
	if (rc != 0) {
		xasprintf(cause, "bad sync reply from the daemon for '%s': %s",
		    pl.root, why);
		client_close(&pl.c);
		return (-1);
	}
	return (0);
}

/*
 * Sync, then make sure the mapped image is the current one.  The daemon
 * closes idle connections, and refuses connections over its limit (a deep
 * recursive make under -j holds one per make): a failure is retried on a
 * new connection, for a second, before the tool gives up.
 */
static void
preload_sync(void)
{
	struct timespec	 now, nap = { 0, 20000000 };
	int		 i;
	uint64_t	 retired, max_seq;
	int64_t		 max_p, now_ns;
	char		*cause = NULL;

	pl.need_sync = 0;
	memset(pl.memo, 0, sizeof pl.memo);
	for (i = 0; preload_sync_once(&cause) != 0; i++) {
		if (i == PRELOAD_SYNC_TRIES) {
			preload_break(cause);
			free(cause);
			return;
		}
		free(cause);
		cause = NULL;
		if (i > 0)
			nanosleep(&nap, NULL);
	}
	if (pl.map == NULL && preload_map(&cause) != 0)
		goto fail;
	if (preload_hdr(&retired, &max_seq, &max_p) != 0) {
		xasprintf(&cause, "the image of '%s' stays busy or damaged",
		    pl.root);
		goto fail;
	}
	if (retired) {
		/* The daemon restarted or grew it: the new one is in place. */
		if (preload_map(&cause) != 0)
			goto fail;
		if (preload_hdr(&retired, &max_seq, &max_p) != 0 || retired) {
			xasprintf(&cause, "the image of '%s' is retired"
			    " (daemon out of space?)", pl.root);
			goto fail;
		}
	}
	/*
	 * Presented times are never later than the clock when they are read,
	 * or make warns of a time in the future: if the clock was stepped
	 * back, shift them all back together (their order is what counts).
	 */
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	pl.shift = max_p > now_ns ? max_p - now_ns : 0;
	return;

fail:
	preload_break(cause);
	free(cause);
	preload_unmap();
}

/* Look dev/ino up, waiting out a busy writer; -1 when unusable. */
static int
preload_lookup(uint64_t dev, uint64_t ino, struct image_ent *e, int *found)
{
	struct timespec	nap = { 0, 1000000 };
	int		i;

	for (i = 0; i < PRELOAD_BUSY_NAPS; i++) {
		switch (image_lookup(pl.map, pl.size, dev, ino, e)) {
		case IMAGE_FOUND:
			*found = 1;
			return (0);
		case IMAGE_ABSENT:
			*found = 0;
			return (0);
		case IMAGE_BUSY:
			nanosleep(&nap, NULL);
			break;
		case IMAGE_BAD:
			return (-1);
		}
	}
	return (-1);
}

static const char *
preload_time(int64_t ns, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)(ns / 1000000000);
	size_t		n;

	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ld", (long)(ns % 1000000000));
	return (buf);
}

/*
 * --why: say, once per path, where write order decided against the real
 * mtimes: a file that the tool saw before and that plain make would have
 * ordered otherwise against this one.
 */
static void
preload_why(const char *path, uint64_t dev, uint64_t ino, int64_t real,
    int64_t pres, int tied)
{
	struct preload_seen	*s;
	char			 t1[64];
	size_t			 i;

	for (i = 0; i < pl.nseen; i++) {
		if (pl.seen[i].dev == dev && pl.seen[i].ino == ino)
			return;
	}
	/*
	 * A file written after one seen before, whose mtime is not newer:
	 * where it is a prerequisite of that one, plain make would skip the
	 * rebuild.  The most recent partner first: make stats a target, then
	 * its prerequisites, so that is most likely the pair it compares.
	 */
	for (i = pl.nseen; i-- > 0;) {
		s = &pl.seen[i];
		if (pres <= s->presented_ns || real > s->real_ns)
			continue;
		/*
		 * Both in crawls' groups of equal ctimes: their order is
		 * the crawl's guess (ctime, then in one group mtime and
		 * inode), not a write anybody saw.  The image keeps no
		 * seqs; depcheck seq PATH shows them.
		 */
		if (tied && s->tied)
			preload_say("'%s' and '%s' were found by a crawl%s:"
			    " nobody saw which came last; ordered by ctime,"
			    " then inode", path, s->path, real == s->real_ns ?
			    " with equal mtimes" : "");
		else
			preload_say("'%s' was written after '%s', but its"
			    " mtime %s is %s: write order decides", path,
			    s->path, preload_time(real, t1, sizeof t1),
			    real == s->real_ns ? "the same" : "earlier");
		break;
	}
	if (pl.nseen == pl.seen_cap) {
		pl.seen_cap = pl.seen_cap == 0 ? 64 : pl.seen_cap * 2;
		pl.seen = xreallocarray(pl.seen, pl.seen_cap, sizeof *pl.seen);
	}
	s = &pl.seen[pl.nseen++];
	s->dev = dev;
	s->ino = ino;
	s->real_ns = real;
	s->presented_ns = pres;
	s->tied = tied;
	s->path = xstrdup(path);
}

/* The presented time of dev/ino, or 0 to leave the real one. */
static int64_t
preload_presented(uint64_t dev, uint64_t ino, int64_t ctime_ns,
    int64_t real, int *tied)
{
	struct image_ent e;
	uint64_t	 retired, max_seq;
	int64_t		 max_p, p;
	size_t		 m = (size_t)(image_hash(dev, ino) % PRELOAD_MEMO);
	int		 found;

	if (pl.need_sync)
		preload_sync();
	if (pl.broken || pl.map == NULL)
		return (0);
	if (preload_lookup(dev, ino, &e, &found) != 0)
		goto bad;
	if (!found)
		return (0);
	*tied = (e.tag & IMAGE_TIED) != 0;
	if (e.ctime_ns == ctime_ns)
		return (e.presented_ns - pl.shift);
	/* A write the image does not have yet: sync once, look again. */
	if (pl.memo[m].dev != dev || pl.memo[m].ino != ino ||
	    pl.memo[m].ctime_ns != ctime_ns) {
		preload_sync();
		pl.memo[m].dev = dev;
		pl.memo[m].ino = ino;
		pl.memo[m].ctime_ns = ctime_ns;
		if (pl.broken || pl.map == NULL)
			return (0);
		if (preload_lookup(dev, ino, &e, &found) != 0)
			goto bad;
		if (!found)
			return (0);
		*tied = (e.tag & IMAGE_TIED) != 0;
		if (e.ctime_ns == ctime_ns)
			return (e.presented_ns - pl.shift);
	}
	/* Still newer than its entry: newer than everything published. */
	if (preload_hdr(&retired, &max_seq, &max_p) != 0)
		goto bad;
	p = max_p + 1 - pl.shift;
	*tied = 0;
	return (real > p ? real : p);

bad:
	preload_break("the shared image is damaged");
	preload_unmap();
	return (0);
}

/*
 * The one hook every stat wrapper calls after a successful real stat:
 * replace *mtim with the presented time when there is one.
 */
static void
preload_present(const char *path, mode_t mode, uint64_t dev, uint64_t ino,
    const struct timespec *ctim, struct timespec *mtim)
{
	int64_t		p, real;
	int		tied = 0;

	if (pl_busy || !preload_on())
		return;
	pl_busy = 1;
	pthread_mutex_lock(&pl_lock);
	real = (int64_t)mtim->tv_sec * 1000000000 + mtim->tv_nsec;
	p = preload_presented(dev, ino,
	    (int64_t)ctim->tv_sec * 1000000000 + ctim->tv_nsec, real, &tied);
	if (p > 0) {
		/* Directories change with every entry: no evidence. */
		if (pl.why && path != NULL && !S_ISDIR(mode))
			preload_why(path, dev, ino, real, p, tied);
		mtim->tv_sec = p / 1000000000;
		mtim->tv_nsec = p % 1000000000;
	}
	pthread_mutex_unlock(&pl_lock);
	pl_busy = 0;
}

/* A child was reaped: its writes must be seen before the next stat. */
static void
preload_reaped(pid_t pid)
{
	if (pid > 0 && !pl_busy && preload_on())
		pl.need_sync = 1;
}

#define PRESENT(path, st)						\
	preload_present((path), (st)->st_mode, (uint64_t)(st)->st_dev,			\
	    (uint64_t)(st)->st_ino, &(st)->st_ctim, &(st)->st_mtim)

#define STAT_WRAPPER(name, stype)					\
EXPORT int								\
name(const char *path, struct stype *st)				\
{									\
	int	rc;							\
									\
	RESOLVE(name);							\
	if ((rc = real_##name(path, st)) == 0)				\
		PRESENT(path, st);					\
	return (rc);							\
}

#define FSTAT_WRAPPER(name, stype)					\
EXPORT int								\
name(int fd, struct stype *st)						\
{									\
	int	rc;							\
									\
	RESOLVE(name);							\
	if ((rc = real_##name(fd, st)) == 0)				\
		PRESENT(NULL, st);					\
	return (rc);							\
}

#define FSTATAT_WRAPPER(name, stype)					\
EXPORT int								\
name(int dirfd, const char *path, struct stype *st, int flags)		\
{									\
	int	rc;							\
									\
	RESOLVE(name);							\
	if ((rc = real_##name(dirfd, path, st, flags)) == 0)		\
		PRESENT(path, st);					\
	return (rc);							\
}

#define XSTAT_WRAPPER(name, stype)					\
EXPORT int								\
name(int ver, const char *path, struct stype *st)			\
{									\
	int	rc;							\
									\
	RESOLVE(name);							\
	if ((rc = real_##name(ver, path, st)) == 0)			\
		PRESENT(path, st);					\
	return (rc);							\
}

STAT_WRAPPER(stat, stat)
STAT_WRAPPER(stat64, stat64)
STAT_WRAPPER(lstat, stat)
STAT_WRAPPER(lstat64, stat64)
FSTAT_WRAPPER(fstat, stat)
FSTAT_WRAPPER(fstat64, stat64)
FSTATAT_WRAPPER(fstatat, stat)
FSTATAT_WRAPPER(fstatat64, stat64)
XSTAT_WRAPPER(__xstat, stat)
XSTAT_WRAPPER(__xstat64, stat64)
XSTAT_WRAPPER(__lxstat, stat)
XSTAT_WRAPPER(__lxstat64, stat64)

EXPORT int
__fxstat(int ver, int fd, struct stat *st)
{
	int	rc;

	RESOLVE(__fxstat);
	if ((rc = real___fxstat(ver, fd, st)) == 0)
		PRESENT(NULL, st);
	return (rc);
}

EXPORT int
__fxstat64(int ver, int fd, struct stat64 *st)
{
	int	rc;

	RESOLVE(__fxstat64);
	if ((rc = real___fxstat64(ver, fd, st)) == 0)
		PRESENT(NULL, st);
	return (rc);
}

EXPORT int
__fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	int	rc;

	RESOLVE(__fxstatat);
	if ((rc = real___fxstatat(ver, dirfd, path, st, flags)) == 0)
		PRESENT(path, st);
	return (rc);
}

EXPORT int
__fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
    int flags)
{
	int	rc;

	RESOLVE(__fxstatat64);
	if ((rc = real___fxstatat64(ver, dirfd, path, st, flags)) == 0)
		PRESENT(path, st);
	return (rc);
}

EXPORT int
statx(int dirfd, const char *path, int flags, unsigned int mask,
    struct statx *stx)
{
	struct timespec	ctim, mtim;
	int		rc;

	RESOLVE(statx);
	if ((rc = real_statx(dirfd, path, flags, mask, stx)) != 0)
		return (rc);
	if ((stx->stx_mask & (STATX_MTIME | STATX_CTIME | STATX_INO)) !=
	    (STATX_MTIME | STATX_CTIME | STATX_INO))
		return (rc);
	ctim.tv_sec = stx->stx_ctime.tv_sec;
	ctim.tv_nsec = stx->stx_ctime.tv_nsec;
	mtim.tv_sec = stx->stx_mtime.tv_sec;
	mtim.tv_nsec = stx->stx_mtime.tv_nsec;
	preload_present(path, stx->stx_mode, (uint64_t)makedev(stx->stx_dev_major,
	    stx->stx_dev_minor), stx->stx_ino, &ctim, &mtim);
	stx->stx_mtime.tv_sec = mtim.tv_sec;
	stx->stx_mtime.tv_nsec = (uint32_t)mtim.tv_nsec;
	return (rc);
}

EXPORT pid_t
wait(int *status)
{
	pid_t	pid;

	RESOLVE(wait);
	pid = real_wait(status);
	preload_reaped(pid);
	return (pid);
}

EXPORT pid_t
waitpid(pid_t which, int *status, int options)
{
	pid_t	pid;

	RESOLVE(waitpid);
	pid = real_waitpid(which, status, options);
	preload_reaped(pid);
	return (pid);
}

EXPORT pid_t
wait3(int *status, int options, struct rusage *ru)
{
	pid_t	pid;

	RESOLVE(wait3);
	pid = real_wait3(status, options, ru);
	preload_reaped(pid);
	return (pid);
}

EXPORT pid_t
wait4(pid_t which, int *status, int options, struct rusage *ru)
{
	pid_t	pid;

	RESOLVE(wait4);
	pid = real_wait4(which, status, options, ru);
	preload_reaped(pid);
	return (pid);
}

EXPORT int
waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	int	rc;

	RESOLVE(waitid);
	rc = real_waitid(idtype, id, info, options);
	if (rc == 0 && info != NULL)
		preload_reaped(info->si_pid);
	return (rc);
}
