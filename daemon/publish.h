/*
 * Publishing the index into the shared image (proto/image.h) that
 * `depcheck exec` tools read, and the presented modification times it
 * carries (DESIGN section 10).  Made on first use (publish_open, for an
 * IMAGE request), freed by main.c at shutdown; a subscriber of the batch
 * (batch.h): publish_refresh_cb and publish_batch_cb.
 */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct daemon;
struct publish;
struct rec;

/*
 * Create ROOT/.depcheck/image from the whole index.  Records of seq
 * first_seq and above (stamped since this start) are presented after
 * floor_ns, the latest time an earlier run may have presented (a build
 * tool may have kept it: ninja's .ninja_log).  Returns the publisher, or
 * NULL with an allocated cause (the daemon then runs without an image and
 * exec tools fall back to real mtimes).
 */
struct publish	*publish_new(struct daemon *, uint64_t, int64_t, char **);
/*
 * The image on first use (an IMAGE request: `depcheck exec` and its
 * preload library ask for it): create it from the committed index, as
 * publish_new, and subscribe it to the batch, unless it exists.  0, or -1
 * with an allocated cause.
 */
int		 publish_open(struct daemon *, char **);
/*
 * Remove an image a killed daemon left (at start, holding the root's
 * lock): no tool may map it, and publish_open makes the next one.
 */
void		 publish_clear(struct daemon *);
/* Live entries in the image, 0 when there is none. */
uint64_t	 publish_entries(const struct publish *);
/* "no" (none yet), "yes", or "failed" (none or retired for want of room). */
const char	*publish_state(const struct daemon *);
/* Unmap and remove the image (at shutdown). */
void		 publish_free(struct publish *);
/*
 * r is about to take the stat facts st: if its inode changed, its old
 * inode's entry goes (another file may reuse that inode number).
 */
void		 publish_moved(struct publish *, const struct rec *,
		     const struct stat *);
/*
 * Publish a committed batch: written records get presented times after
 * every earlier one, touched ones their new ctime, gone ones leave.
 */
void		 publish_batch(struct publish *, struct rec *const *, size_t);
/* publish_moved and publish_batch as a batch subscriber (BATCH_COMMITTED). */
void		 publish_refresh_cb(void *, const struct rec *,
		     const struct stat *);
void		 publish_batch_cb(void *, struct rec *const *, size_t,
		     const char *);

#endif
