/*
 * Watch descriptor to directory (see wdmap.h): chained buckets, keyed by
 * wd.  Looked up for every event, so by wd; by path only when a watch is
 * lost or a directory moves away.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "util.h"
#include "wdmap.h"

#define WDMAP_BUCKETS	1024

struct wdmap {
	struct wdent	**buckets;
	size_t		  nbuckets;
	size_t		  count;
};

struct wdmap *
wdmap_new(void)
{
	struct wdmap	*m;

	m = xcalloc(1, sizeof *m);
	m->nbuckets = WDMAP_BUCKETS;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	m->buckets = xcalloc(m->nbuckets, sizeof *m->buckets);
	return (m);
}

void
wdmap_free(struct wdmap *m)
{
	struct wdent	*e, *next;
	size_t		 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

static struct wdent **
wdmap_bucket(struct wdmap *m, int wd)
{
	return (&m->buckets[(unsigned)wd % m->nbuckets]);
}

struct wdent *
wdmap_find(struct wdmap *m, int wd)
{
	struct wdent	*e;

	for (e = *wdmap_bucket(m, wd); e != NULL; e = e->next) {
		if (e->wd == wd)
			return (e);
	}
	return (NULL);
}

void
wdmap_forget(struct wdmap *m, int wd)
{
	struct wdent	**pe, *e;

	for (pe = wdmap_bucket(m, wd); (e = *pe) != NULL; pe = &e->next) {
		if (e->wd == wd) {
			*pe = e->next;
			free(e);
			m->count--;
			return;
		}
	}
}

void
wdmap_put(struct wdmap *m, int wd, const char *relpath, int cookie)
{
	struct wdent	*e, **b;
	size_t		 len = strlen(relpath);

	wdmap_forget(m, wd);
	e = xmalloc(sizeof *e + len + 1);
	e->wd = wd;
	e->cookie = cookie;
	e->gone = 0;
	memcpy(e->relpath, relpath, len + 1);
	b = wdmap_bucket(m, wd);
	e->next = *b;
	*b = e;
	m->count++;
}

int
wdmap_has_path(struct wdmap *m, const char *relpath)
{
	struct wdent	*e;
	size_t		 i;

	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = e->next) {
			if (!e->cookie && strcmp(e->relpath, relpath) == 0)
				return (1);
		}
	}
	return (0);
}

size_t
wdmap_count(struct wdmap *m)
{
	return (m->count);
}

void
wdmap_foreach_under(struct wdmap *m, const char *prefix,
    void (*fn)(struct wdent *, void *), void *arg)
{
	struct wdent	*e, *next;
	size_t		 i;

	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (!e->cookie && util_under(e->relpath, prefix))
				fn(e, arg);
		}
	}
}
