/*
 * The ignore rules: --ignore globs, and every state directory (ours or a
 * nested daemon's).  Called by scan.c and apply.c (what is recorded),
 * conn.c and publish.c (what is vouched for).
 */
#ifndef IGNORE_H
#define IGNORE_H

/*
 * Is relpath excluded by one of globs (NULL-terminated; NULL for none),
 * or in a state directory (.depcheck, at any depth)?
 */
int	 ignore_match(char *const *, const char *);

#endif
