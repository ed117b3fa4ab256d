/*
 * Stamping writes with seqs.  Events are stamped in the order inotify
 * queued them; but when a crawl ran during a drain of the queue, every
 * write of that drain is stamped again when it ends, by ctime (see
 * stamp.c).  Called by watch.c and scan.c; stamp_close by watch_drain.
 */
#ifndef STAMP_H
#define STAMP_H

#include <stdint.h>

struct daemon;
struct rec;
struct stamp;

struct stamp	*stamp_new(void);
void		 stamp_free(struct stamp *);
/*
 * Record a write of r (exists or gone) at the next seq.  crawled: found
 * by a crawl, so its order against queued events is unknown.
 * not_before: when the drain is restamped by ctime, r counts as written
 * no earlier than this (0: its own ctime alone).
 */
void		 stamp_write(struct daemon *, struct rec *, int, int,
		     int64_t);
/*
 * The queue was read empty: this drain's writes are final.  If a crawl
 * ran, restamp them by ctime first.
 */
void		 stamp_close(struct daemon *);

#endif
