/* Small helpers for times, relative paths and the heap (util.c). */
#ifndef UTIL_H
#define UTIL_H

#include <stdint.h>
#include <sys/stat.h>

/* Wall-clock time in nanoseconds. */
int64_t	 util_now_ns(void);
int64_t	 util_ts_ns(const struct timespec *);
/* Join a relpath ("" is the root) and a name; the result is allocated. */
char	*util_join(const char *, const char *);
/* Is relpath equal to prefix or below it? ("" is above everything.) */
int	 util_under(const char *, const char *);
/* Give the heap's free pages back to the system (glibc; else nothing). */
void	 util_trim_heap(void);

#endif
