/*
 * Crawling: watch-then-scan a directory tree, and reconcile what is found
 * with the index (DESIGN section 3, "Unobserved time").  Called at start,
 * for new or moved-in directories, and after a queue overflow.
 */
#ifndef SCAN_H
#define SCAN_H

#include <sys/types.h>

#include <stdint.h>

struct daemon;

enum scan_mode {
	SCAN_NEW,		/* everything found is a write (mkdir, mv in) */
	SCAN_RECONCILE,		/* only what differs from the record */
};

/*
 * Watch and crawl relpath (a directory; "" is the root) and everything
 * below it.  Changed entries are stamped as writes (stamp.c orders them,
 * with every other write of this drain, by ctime when it ends).  In
 * SCAN_RECONCILE mode a file that may have been rewritten after
 * observation stopped at observed_ns (scan_floor) counts as changed even
 * if its stat facts match, and records that are gone are marked missing.
 * Returns the number of entries found.
 */
size_t		 scan_tree(struct daemon *, const char *, enum scan_mode,
		     int64_t);
/*
 * The earliest ctime a file on device dev can have if it was written at
 * or after t_ns: t_ns less one tick of the kernel's coarse clock (which
 * stamps ctimes), rounded down to the file system's timestamp granularity
 * (probed on the root's; 2 s assumed elsewhere).  A file whose ctime is
 * not older than scan_floor(observation stopped) is racily clean.
 */
int64_t		 scan_floor(struct daemon *, dev_t, int64_t);
/* Full rescan of the root after an overflow or a lost watch. */
void		 scan_rescan(struct daemon *, const char *);
/* An overflow: rescan now, or later if they repeat (back-off). */
void		 scan_overflow(struct daemon *);

#endif
