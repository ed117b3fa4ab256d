/* Times, relative paths and the heap, for every daemon module. */
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "xmalloc.h"
#include "util.h"

int64_t
util_ts_ns(const struct timespec *ts)
{
	return ((int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec);
}

int64_t
util_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (util_ts_ns(&ts));
}

/* Called for every entry a crawl lists: no printf. */
char *
util_join(const char *relpath, const char *name)
{
	size_t	 rlen, nlen;
	char	*p;

	if (*relpath == '\0')
		return (xstrdup(name));
	rlen = strlen(relpath);
	nlen = strlen(name);
	p = xmalloc(rlen + 1 + nlen + 1);
	memcpy(p, relpath, rlen);
	p[rlen] = '/';
	memcpy(p + rlen + 1, name, nlen + 1);
	return (p);
}

int
util_under(const char *relpath, const char *prefix)
{
	size_t	len = strlen(prefix);

	if (len == 0)
		return (1);
	if (strncmp(relpath, prefix, len) != 0)
		return (0);
	return (relpath[len] == '\0' || relpath[len] == '/');
}

void
util_trim_heap(void)
{
#ifdef __GLIBC__
	/* Not only the top: free pages among live blocks too. */
	malloc_trim(0);
#endif
}
