/*
 * Ignore rules (see ignore.h): plain functions of a path and the glob
 * list, no daemon state.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "daemon.h"
#include "ignore.h"

/*
 * Is a component of relpath named .depcheck?  Ours at the top, or a
 * nested daemon's below: its database and log are never recorded as
 * writes of this tree (issue 9; tests/integ/t5022-nested-roots.sh).
 */
static int
ignore_in_statedir(const char *relpath)
{
	const char	*p = relpath;
	size_t		 len = strlen(STATE_DIR);

	for (;;) {
		if (strncmp(p, STATE_DIR, len) == 0 &&
		    (p[len] == '\0' || p[len] == '/'))
			return (1);
		if ((p = strchr(p, '/')) == NULL)
			return (0);
		p++;
	}
}

int
ignore_match(char *const *globs, const char *relpath)
{
	const char	*base, *slash;
	char		*prefix;
	int		 i, hit = 0;

	if (ignore_in_statedir(relpath))
		return (1);
	if (globs == NULL || globs[0] == NULL)
		return (0);
	/*
	 * A glob matches the relative path or the base name of the path or
	 * of any directory above it: --ignore build covers build/a/b.o.
	 */
	prefix = xstrdup(relpath);
	for (slash = NULL;; slash = strrchr(prefix, '/')) {
		if (slash != NULL)
			prefix[slash - prefix] = '\0';
		base = strrchr(prefix, '/');
		base = base != NULL ? base + 1 : prefix;
		for (i = 0; globs[i] != NULL && !hit; i++) {
			if (fnmatch(globs[i], prefix, 0) == 0 ||
			    fnmatch(globs[i], base, 0) == 0)
				hit = 1;
		}
		if (hit || strchr(prefix, '/') == NULL)
			break;
	}
	free(prefix);
	return (hit);
}
