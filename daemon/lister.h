/*
 * Directory listings for a crawl (scan.c): a directory's entries, each
 * stat'd, as one list.  lister_list makes one in the calling thread; a
 * lister makes them in two threads of its own, so that a large crawl's
 * system calls (getdents, fstatat: most of a start's time) run on every
 * core while the loop's thread records what they found.  The caller
 * adds a directory's watch before it asks for the listing, so nothing
 * created meanwhile is missed.
 */
#ifndef LISTER_H
#define LISTER_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

struct listing_ent {
	struct stat	 st;
	size_t		 path;		/* offset of its relpath in paths */
	uint32_t	 hash;		/* index_path_hash of the relpath */
};

struct listing {
	char			*relpath;	/* the directory's, owned */
	int			 error;		/* errno of opening it, or 0 */
	struct listing_ent	*ents;
	size_t			 n;
	size_t			 cap;
	char			*paths;		/* NUL-terminated relpaths */
	size_t			 paths_len;
	size_t			 paths_cap;
	struct listing		*next;		/* the lister's queues */
};

/*
 * List l->relpath below rootfd into l: every entry but "." and "..", but
 * what the globs ignore, and what cannot be stat'd (gone since).  Safe in
 * any thread: it reads rootfd and the globs only.
 */
void		 lister_list(int, char *const *, struct listing *);
/* Free what l holds (and not l). */
void		 listing_fini(struct listing *);

struct lister;

/* Threads listing below rootfd, skipping what globs ignore. */
struct lister	*lister_new(int, char *const *);
/* Stop the threads; every listing not taken is freed. */
void		 lister_free(struct lister *);
/* Ask for relpath's listing (relpath is the listing's now). */
void		 lister_submit(struct lister *, char *);
/*
 * A listing asked for and not taken yet, once made (the first made
 * first); NULL if there is none.
 */
struct listing	*lister_take(struct lister *);

#endif
