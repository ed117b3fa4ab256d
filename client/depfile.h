/*
 * Make-syntax depfiles, as gcc and clang write them (-MD, -MMD, -MP, -MF)
 * and make and ninja read them: "target...: prerequisite..." rules.
 * Used by `depcheck check --depfile` (cmd-check.c).
 */
#ifndef DEPFILE_H
#define DEPFILE_H

#include <stddef.h>

/* One target and every prerequisite its rules name, in order. */
struct depfile_target {
	char		 *name;
	char		**deps;
	size_t		  ndeps;
	size_t		  cap;
};

/* The targets of one or more depfiles, in the order first named. */
struct depfile {
	struct depfile_target	*targets;
	size_t			 ntargets;
	size_t			 cap;
};

void	 depfile_init(struct depfile *);
void	 depfile_free(struct depfile *);
/*
 * Parse the len bytes of buf, read from the file name (for messages), and
 * add its rules: a target named again gets the new prerequisites too, as
 * in make.  Understood: "\" newline continues a line; "\ " is a space in
 * a name and "\#" a '#' (2n+1 backslashes before a space or '#' are n
 * backslashes and the escaped character, 2n are n backslashes and end
 * the name), "$$" is '$'; '#' begins a comment; names after '|' are
 * order-only (make ignores their times: so does depcheck).  A rule
 * without prerequisites (gcc -MP's phony header targets) adds nothing.
 * Returns 0, or -1 with an allocated cause "NAME:LINE: what is wrong" (a
 * line with no ':', no target before the ':', a second ':', a NUL byte).
 */
int	 depfile_parse(struct depfile *, const char *, size_t, const char *,
	     char **);

#endif
