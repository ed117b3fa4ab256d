/*
 * The inotify descriptor, polled by libuv, the map from watch descriptor
 * to directory (wdmap.h), and the directories that could not be watched
 * or are remote.  When the descriptor is readable, the batch drains it
 * (batch.c); watch.c only adds, removes and reads watches.
 */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/inotify.h>

struct daemon;
struct index;
struct watch;
struct wdmap;

/* An inotify instance; no loop needed until watch_start. */
struct watch	*watch_new(struct daemon *, char **);
/* Close the descriptor and the poll handle (memory goes in the close cb). */
void		 watch_free(struct watch *);
/* Poll the descriptor: call fn(arg) whenever it is readable. */
int		 watch_start(struct watch *, void (*)(void *), void *, char **);
/*
 * Watch the directory relpath.  Returns 0, or -1 with an allocated cause;
 * the directory is then counted as unwatched (mtime rules apply below it)
 * until rescan.c retries it.
 */
int		 watch_add_dir(struct watch *, const char *, char **);
/* Watch the daemon's own cookie directory (absolute path). */
int		 watch_add_cookie_dir(struct watch *, const char *, char **);
/* Stop watching relpath and every directory below it. */
void		 watch_remove_under(struct watch *, const char *);
/* Is relpath in or below a directory that could not be watched? */
int		 watch_is_unwatched(struct watch *, const char *);
size_t		 watch_count(struct watch *);
/* The wd -> directory map.  Borrowed. */
struct wdmap	*watch_map(struct watch *);
/* Is the inotify queue empty right now (nothing left to read)? */
int		 watch_queue_empty(struct watch *);
/* Read queued events into buf, as read(2) does (non-blocking). */
ssize_t		 watch_read(struct watch *, void *, size_t);
size_t		 watch_remote_count(struct watch *);
/*
 * Is directory relpath (on device dev) on a remote file system?  If so
 * it is recorded as such (and said once per file system).
 */
int		 watch_check_remote(struct watch *, const char *, dev_t);
size_t		 watch_unwatched_count(struct watch *);
/*
 * Hand over the set of unwatched directories (the caller owns it and
 * frees it with index_free) and start an empty one: they are about to be
 * watched again (rescan.c).
 */
struct index	*watch_take_unwatched(struct watch *);

#endif
