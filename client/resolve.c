/*
 * Path resolution (see resolve.h).  realpath(3) where the path exists;
 * for a missing file, its resolved directory plus its name; for a path
 * whose directory is missing too, a lexical clean-up.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "resolve.h"

/* Make arg absolute and drop ".", ".." and repeated slashes, lexically. */
static char *
resolve_lexical(const char *arg)
{
	char	 cwd[PATH_MAX], *full, *out, *part, *save;
	size_t	 len;

	if (arg[0] == '/')
		full = xstrdup(arg);
	else {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return (NULL);
		xasprintf(&full, "%s/%s", cwd, arg);
	}
	out = xcalloc(1, strlen(full) + 2);
	len = 0;
	for (part = strtok_r(full, "/", &save); part != NULL;
	    part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, part, strlen(part) + 1);
		len += strlen(part);
	}
	if (len == 0)
		memcpy(out, "/", 2);
	free(full);
	return (out);
}

/*
 * The common case in one lstat: arg is no symlink, and its directory
 * was resolved already (the working directory, or the last directory
 * seen), so realpath(arg) is that directory and arg's last name.  NULL
 * when that does not hold: then resolve_abs does it the long way, and
 * says why if it fails.  Fills *st (a stat, since arg is no symlink).
 */
static char *
resolve_fast(const char *arg, struct stat *st)
{
	static char	*cwd, *lastdir, *lastabs;
	const char	*slash, *base, *dirabs;
	char		 buf[PATH_MAX], *dir, *abs;

	if ((slash = strrchr(arg, '/')) == NULL)
		base = arg;
	else
		base = slash + 1;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return (NULL);
	if (lstat(arg, st) != 0 || S_ISLNK(st->st_mode))
		return (NULL);
	if (slash == NULL) {
		if (cwd == NULL && getcwd(buf, sizeof buf) != NULL)
			cwd = xstrdup(buf);
		dirabs = cwd;
	} else {
		dir = slash == arg ? xstrdup("/") :
		    xstrndup(arg, (size_t)(slash - arg));
		if (lastdir == NULL || strcmp(dir, lastdir) != 0) {
			free(lastdir);
			free(lastabs);
			lastdir = dir;
			lastabs = realpath(dir, buf) != NULL ? xstrdup(buf) :
			    NULL;
		} else
			free(dir);
		dirabs = lastabs;
	}
	if (dirabs == NULL)
		return (NULL);
	xasprintf(&abs, "%s%s%s", dirabs, strcmp(dirabs, "/") == 0 ? "" :
	    "/", base);
	return (abs);
}

static char *
resolve_abs(const char *arg, int *dangling, char **cause)
{
	char		 buf[PATH_MAX], *dir, *slash, *base, *abs;
	struct stat	 st;
	int		 error;

	if (realpath(arg, buf) != NULL)
		return (xstrdup(buf));
	error = errno;
	if (error != ENOENT && error != ENOTDIR) {
		xasprintf(cause, "cannot resolve '%s': %s", arg,
		    strerror(error));
		return (NULL);
	}
	if (lstat(arg, &st) == 0 && S_ISLNK(st.st_mode))
		*dangling = 1;
	dir = xstrdup(arg);
	while ((slash = strrchr(dir, '/')) != NULL && slash[1] == '\0' &&
	    slash != dir)
		*slash = '\0';
	if ((slash = strrchr(dir, '/')) == NULL) {
		base = dir;
		slash = NULL;
	} else
		base = slash + 1;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    *base == '\0') {
		free(dir);
		return (resolve_lexical(arg));
	}
	if (slash == NULL)
		abs = getcwd(buf, sizeof buf) != NULL ? buf : NULL;
	else {
		*slash = '\0';
		abs = realpath(slash == dir ? "/" : dir, buf);
	}
	if (abs == NULL) {
		free(dir);
		return (resolve_lexical(arg));
	}
	xasprintf(&abs, "%s%s%s", buf, strcmp(buf, "/") == 0 ? "" : "/",
	    base);
	free(dir);
	return (abs);
}

int
resolve_path(const char *root, const char *arg, struct resolved *r,
    char **cause)
{
	size_t	len = strlen(root);
	char	*rel;

	memset(r, 0, sizeof *r);
	if (*arg == '\0') {
		xasprintf(cause, "cannot resolve '': an empty path names no"
		    " file");
		return (-1);
	}
	if (strlen(arg) >= PATH_MAX) {
		xasprintf(cause, "cannot resolve '%.64s...': %s", arg,
		    strerror(ENAMETOOLONG));
		return (-1);
	}
	if ((r->abs = resolve_fast(arg, &r->st)) != NULL)
		r->have_st = 1;
	else if ((r->abs = resolve_abs(arg, &r->dangling, cause)) == NULL)
		return (-1);
	if (strlen(r->abs) > PROTO_MAX_PATH) {
		xasprintf(cause, "cannot resolve '%.64s...': %s", arg,
		    strerror(ENAMETOOLONG));
		resolve_free(r);
		return (-1);
	}
	if (strcmp(root, "/") == 0)
		rel = r->abs + 1;
	else if (strncmp(r->abs, root, len) == 0 &&
	    (r->abs[len] == '\0' || r->abs[len] == '/'))
		rel = r->abs + len + (r->abs[len] == '/');
	else
		return (0);
	if (strncmp(rel, ".depcheck", 9) == 0 &&
	    (rel[9] == '\0' || rel[9] == '/'))
		return (0);
	r->rel = xstrdup(rel);
	return (0);
}

void
resolve_free(struct resolved *r)
{
	free(r->abs);
	free(r->rel);
	r->abs = r->rel = NULL;
}
