/*
 * The map from inotify watch descriptor to directory: a plain hash table
 * with no descriptor and no loop behind it.  watch.c owns one and fills
 * it as it adds watches; apply.c reads it to name an event's directory
 * (unit tests fill one with made-up descriptors).
 */
#ifndef WDMAP_H
#define WDMAP_H

#include <stddef.h>

/* A directory and its path are one allocation. */
struct wdent {
	struct wdent	*next;
	int		 wd;
	int		 cookie;	/* the daemon's cookie directory */
	int		 gone;		/* IN_DELETE_SELF or IN_MOVE_SELF seen */
	char		 relpath[];
};

struct wdmap;

struct wdmap	*wdmap_new(void);
void		 wdmap_free(struct wdmap *);
/* The directory of wd, or NULL.  Borrowed until wd is forgotten. */
struct wdent	*wdmap_find(struct wdmap *, int);
/* Map wd to relpath (copied), replacing what it mapped before. */
void		 wdmap_put(struct wdmap *, int, const char *, int);
/* Forget wd (the kernel dropped it, or it was removed). */
void		 wdmap_forget(struct wdmap *, int);
/* Does some watch (not the cookie directory's) cover relpath? */
int		 wdmap_has_path(struct wdmap *, const char *);
size_t		 wdmap_count(struct wdmap *);
/*
 * Call fn for each directory (not the cookie directory) in or below
 * relpath.  fn may forget the entry it is given.
 */
void		 wdmap_foreach_under(struct wdmap *, const char *,
		     void (*)(struct wdent *, void *), void *);

#endif
