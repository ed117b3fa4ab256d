/* Path resolution like make's: relative to the working directory,
 * symlinks followed (resolve.c).  Used by cmd-check.c and cmd-status.c. */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <sys/stat.h>

struct resolved {
	char		*abs;		/* absolute, symlinks resolved as far
					   as they go */
	char		*rel;		/* relpath under the root, or NULL:
					   outside */
	int		 dangling;	/* a symlink to nothing: missing, as
					   for stat */
	int		 have_st;	/* st is stat(2) of the path, taken on
					   the way */
	struct stat	 st;
};

/*
 * Resolve arg against root (absolute, resolved).  Returns 0 and fills r
 * (free with resolve_free), or -1 with an allocated cause.  Paths in the
 * root's .depcheck/ count as outside (the daemon does not watch them).
 */
int	 resolve_path(const char *, const char *, struct resolved *, char **);
void	 resolve_free(struct resolved *);

#endif
