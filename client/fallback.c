/*
 * mtime facts for the fallback rule (see fallback.h): equal mtimes count
 * as stale, so a coarse file system errs towards rebuilding.
 */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>

#include "xmalloc.h"
#include "fallback.h"

void
fallback_fact(const struct stat *st, struct compare_fact *f)
{
	f->exists = 1;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
}

int
fallback_stat(const char *arg, struct compare_fact *f, char **cause)
{
	struct stat	st;

	if (stat(arg, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			f->exists = 0;
			f->mtime_ns = 0;
			return (0);
		}
		xasprintf(cause, "cannot stat '%s': %s", arg, strerror(errno));
		return (-1);
	}
	fallback_fact(&st, f);
	return (0);
}
