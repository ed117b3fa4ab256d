/*
 * A command-line number for the bench tools (spawn.c, writer.c): s as a
 * decimal from min to max, else exit 2 naming what it was for.
 */
#ifndef BENCH_NUMBER_H
#define BENCH_NUMBER_H

#include <err.h>
#include <errno.h>
#include <stdlib.h>

static inline long
bench_number(const char *what, const char *s, long min, long max)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		errx(2, "%s '%s' is not a number from %ld to %ld", what, s,
		    min, max);
	return (n);
}

#endif
