/*
 * The inotify descriptor, polled by libuv, and the map from watch
 * descriptor to directory.  watch_read_cb drains the queue and hands each
 * event to watch_apply(); the batch then ends with daemon_batch_end().
 */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/inotify.h>

struct daemon;
struct watch;

struct watch	*watch_new(struct daemon *, char **);
/* Close the descriptor and the poll handle (memory goes in the close cb). */
void		 watch_free(struct watch *);
int		 watch_start(struct watch *, char **);
/*
 * Watch the directory relpath.  Returns 0, or -1 with an allocated cause;
 * the directory is then counted as unwatched (mtime rules apply below it).
 */
int		 watch_add_dir(struct watch *, const char *, char **);
/* Watch the daemon's own cookie directory (absolute path). */
int		 watch_add_cookie_dir(struct watch *, const char *, char **);
/* Stop watching relpath and every directory below it. */
void		 watch_remove_under(struct watch *, const char *);
/* Is relpath in or below a directory that could not be watched? */
int		 watch_is_unwatched(struct watch *, const char *);
size_t		 watch_count(struct watch *);
/* Is the inotify queue empty right now (nothing left to read)? */
int		 watch_queue_empty(struct watch *);
size_t		 watch_remote_count(struct watch *);
/*
 * Is directory relpath (on device dev) on a remote file system?  If so
 * it is recorded as such (and said once per file system).
 */
int		 watch_check_remote(struct watch *, const char *, dev_t);
size_t		 watch_unwatched_count(struct watch *);
/* Read and apply events until the queue is empty (closes crawl windows). */
void		 watch_drain(struct watch *);
/* Watch the unwatched directories again (a rescan); see watch.c. */
void		 watch_retry(struct watch *);
/* Apply one event to the index (a plain function: unit-testable). */
void		 watch_apply(struct watch *, const struct inotify_event *);

#endif
