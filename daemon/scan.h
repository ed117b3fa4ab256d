/*
 * Crawling: watch-then-scan a directory tree, and reconcile what is found
 * with the index (DESIGN section 3, "Unobserved time").  Called at start,
 * for new or moved-in directories, and after a queue overflow.
 */
#ifndef SCAN_H
#define SCAN_H

#include <stdint.h>

struct daemon;

enum scan_mode {
	SCAN_NEW,		/* everything found is a write (mkdir, mv in) */
	SCAN_RECONCILE,		/* only what differs from the record */
};

/*
 * Watch and crawl relpath (a directory; "" is the root) and everything
 * below it.  Changed entries get new seqs in ctime order, equal ctimes
 * sharing one seq.  In SCAN_RECONCILE mode a file whose ctime is not
 * older than racy_ns counts as changed even if its stat facts match, and
 * records that are gone are marked missing.  Returns the number of
 * entries found.
 */
size_t		 scan_tree(struct daemon *, const char *, enum scan_mode,
		     int64_t);
/*
 * The ctime from which a file counts as racily clean, when observation
 * stopped at observed_ns: that second, rounded down, less one more second
 * for file systems with 2-second timestamps (FAT).
 */
int64_t		 scan_racy_threshold(int64_t);
/* Full rescan of the root after an overflow or a lost watch. */
void		 scan_rescan(struct daemon *, const char *);
/* An overflow: rescan now, or later if they repeat (back-off). */
void		 scan_overflow(struct daemon *);

#endif
