/*
 * Stamping writes with seqs.  Events are stamped in the order inotify
 * queued them; but when a crawl ran during a drain of the queue, every
 * write of that drain is stamped again when it ends, by ctime (see
 * stamp.c).  Called by apply.c and scan.c; stamp_close by batch.c when
 * the drain ends.
 */
#ifndef STAMP_H
#define STAMP_H

#include <stdint.h>

struct index;
struct rec;
struct stamp;

/* Where a file's ctime comes from: 0 and *ctime_ns, or -1 if it is gone. */
typedef int	(*stamp_ctime_fn)(void *, const char *, int64_t *);

/*
 * A stamp writing to index (borrowed), reading ctimes below the directory
 * rootfd (borrowed).
 */
struct stamp	*stamp_new(struct index *, int);
void		 stamp_free(struct stamp *);
/* Read ctimes through fn instead (unit tests: ctimes set at will). */
void		 stamp_set_ctime(struct stamp *, stamp_ctime_fn, void *);
/*
 * Record a write of r (exists or gone) at the next seq.  crawled: found
 * by a crawl, so its order against queued events is unknown.
 * not_before: when the drain is restamped by ctime, r counts as written
 * no earlier than this (0: its own ctime alone).
 */
void		 stamp_write(struct stamp *, struct rec *, int, int,
		     int64_t);
/*
 * A crawl found r existing and set its facts from its stat: as
 * stamp_write(r, 1, crawled, not_before), but when the drain is restamped
 * by ctime, r is ordered by the ctime of those facts without a stat,
 * unless stamp_write() wrote r again since (see stamp.c).
 */
void		 stamp_found(struct stamp *, struct rec *, int, int64_t);
/*
 * While on, what a crawl finds was never seen written: the root's first
 * crawl (a new or rebuilt database).  Such a record keeps r->first until
 * it is written; the client compares two of them by mtime (issue 14).
 * What is found later without a record appeared after observation began
 * (a new directory, one moved in, a file created while no daemon ran)
 * and is ordered after what was seen before it, as ever.
 */
void		 stamp_first_sight(struct stamp *, int);
/*
 * The queue was read empty: this drain's writes are final.  If a crawl
 * ran, restamp them by ctime first.
 */
void		 stamp_close(struct stamp *);
/*
 * Files given a seq they share with another file, since the stamp was
 * made: the members of every crawled ctime group of two or more that
 * exist (at start, after an overflow or a lost watch, in a new or
 * moved-in directory).  Their order was unknown, and equal seqs count
 * as stale both ways.  What is gone is not counted.
 */
uint64_t	 stamp_ties(struct stamp *);

#endif
