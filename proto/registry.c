/*
 * The registry of running daemons and the --idle-exit syntax (see
 * registry.h), linked into depcheckd and depcheck.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "registry.h"

/* A root is a path: PATH_MAX bytes and the newline fit. */
#define REGISTRY_MAX_ENTRY	(PATH_MAX + 1)

char *
registry_path(void)
{
	const char	*env = getenv(REGISTRY_ENV);
	char		*path;

	/* Absolute only: the daemon and its clients have other cwds. */
	if (env != NULL && *env == '/')
		return (xstrdup(env));
	env = getenv("XDG_RUNTIME_DIR");
	if (env != NULL && *env == '/') {
		xasprintf(&path, "%s/depcheck", env);
		return (path);
	}
	xasprintf(&path, "/tmp/depcheck-%u", (unsigned)getuid());
	return (path);
}

int
registry_open(const char *path, int create, char **cause)
{
	struct stat	st;
	int		fd;

	if (create && mkdir(path, 0700) != 0 && errno != EEXIST) {
		xasprintf(cause, "cannot create registry '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		if (errno == ENOENT && !create)
			return (-2);
		if (errno == ELOOP || errno == ENOTDIR)
			xasprintf(cause, "registry '%s' is not a directory"
			    " (not followed; remove it)", path);
		else
			xasprintf(cause, "cannot open registry '%s': %s",
			    path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || st.st_uid != getuid()) {
		xasprintf(cause, "registry '%s' belongs to uid %u, not to uid"
		    " %u (not used; remove it)", path, (unsigned)st.st_uid,
		    (unsigned)getuid());
		close(fd);
		return (-1);
	}
	/* Ours: whatever made it wider, nobody else may list or add. */
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0700) != 0) {
		xasprintf(cause, "cannot chmod registry '%s': %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Is name a pid in decimal (an entry's name)?  0 if not. */
static pid_t
registry_name_pid(const char *name)
{
	char	*end;
	long	 pid;

	if (*name < '1' || *name > '9')
		return (0);
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT_MAX)
		return (0);
	return ((pid_t)pid);
}

/* Remove name if it still is the file of fd (a newer one may not be). */
static void
registry_unlink_if(int dirfd, const char *name, int fd)
{
	struct stat	held, named;

	if (fstat(fd, &held) == 0 &&
	    fstatat(dirfd, name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	    held.st_ino == named.st_ino && held.st_dev == named.st_dev)
		unlinkat(dirfd, name, 0);
}

/*
 * Read one entry: 1 and its root (allocated) when its daemon runs, 0 when
 * it is gone (the entry is removed) or unreadable.
 */
static int
registry_read(int dirfd, const char *name, char **root)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	*root = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	if (fd == -1)
		return (0);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != getuid()) {
		close(fd);
		return (0);
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		/* Nobody holds it: its daemon died without removing it. */
		registry_unlink_if(dirfd, name, fd);
		close(fd);
		return (0);
	}
	buf = xmalloc(REGISTRY_MAX_ENTRY + 1);
	n = pread(fd, buf, REGISTRY_MAX_ENTRY + 1, 0);
	close(fd);
	if (n < 2 || n > REGISTRY_MAX_ENTRY || buf[n - 1] != '\n' ||
	    buf[0] != '/' || memchr(buf, '\0', (size_t)n) != NULL) {
		free(buf);
		return (0);
	}
	buf[n - 1] = '\0';
	*root = buf;
	return (1);
}

static int
registry_cmp(const void *a, const void *b)
{
	const struct registry_entry	*ea = a, *eb = b;

	return (ea->pid < eb->pid ? -1 : ea->pid > eb->pid);
}

size_t
registry_list(int dirfd, struct registry_entry **entries)
{
	struct registry_entry	*e = NULL;
	struct dirent		*de;
	size_t			 n = 0, cap = 0;
	DIR			*dir;
	pid_t			 pid;
	char			*root;
	int			 fd;

	*entries = NULL;
	if ((fd = dup(dirfd)) == -1)
		return (0);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (0);
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if ((pid = registry_name_pid(de->d_name)) == 0 ||
		    !registry_read(dirfd, de->d_name, &root))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			e = xreallocarray(e, cap, sizeof *e);
		}
		e[n].pid = pid;
		e[n++].root = root;
	}
	closedir(dir);
	if (n > 1)
		qsort(e, n, sizeof *e, registry_cmp);
	*entries = e;
	return (n);
}

void
registry_free(struct registry_entry *e, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(e[i].root);
	free(e);
}

int
registry_entry_open(int dirfd, pid_t pid)
{
	char	name[32];

	snprintf(name, sizeof name, "%ld", (long)pid);
	return (openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK));
}

int
registry_add(int dirfd, const char *root, char **cause)
{
	char	name[32], tmp[40];
	size_t	len = strlen(root);
	int	fd;

	if (len > PATH_MAX) {
		xasprintf(cause, "root '%.64s...' is too long to register",
		    root);
		return (-1);
	}
	snprintf(name, sizeof name, "%ld", (long)getpid());
	snprintf(tmp, sizeof tmp, ".new.%ld", (long)getpid());
	/*
	 * Locked before it has its name: a reader never sees an entry of a
	 * live daemon unlocked, and so never removes one.
	 */
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1) {
		xasprintf(cause, "cannot create '%s': %s", tmp,
		    strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 ||
	    write(fd, root, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    renameat(dirfd, tmp, dirfd, name) != 0) {
		xasprintf(cause, "cannot write '%s': %s", tmp,
		    strerror(errno));
		unlinkat(dirfd, tmp, 0);
		close(fd);
		return (-1);
	}
	return (fd);
}

void
registry_remove(int dirfd, int fd)
{
	char	name[32];

	snprintf(name, sizeof name, "%ld", (long)getpid());
	registry_unlink_if(dirfd, name, fd);
}

int
registry_duration(const char *s, uint64_t *ms)
{
	unsigned long long	 v;
	uint64_t		 unit = 1000;
	char			*end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return (-1);
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60000ULL;
		break;
	case 'h':
		unit = 3600000ULL;
		break;
	case 'd':
		unit = 86400000ULL;
		break;
	default:
		return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	/* A year at most: beyond that, say 0 (never). */
	if (v > 366ULL * 86400000 / unit)
		return (-1);
	*ms = (uint64_t)v * unit;
	return (0);
}
