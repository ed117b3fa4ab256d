/* The mtime rules, for when the daemon cannot vouch for a path or no
 * daemon runs (fallback.c).  Used by cmd-check.c. */
#ifndef FALLBACK_H
#define FALLBACK_H

#include <sys/stat.h>

#include "compare.h"

/*
 * Fill f's existence and nanosecond mtime from stat(2) of arg (symlinks
 * followed).  Returns 0, or -1 with an allocated cause for errors other
 * than a missing path.
 */
int	 fallback_stat(const char *, struct compare_fact *, char **);
/* The same facts from a stat(2) already taken. */
void	 fallback_fact(const struct stat *, struct compare_fact *);

#endif
