/*
 * The registry of one user's running daemons, which depcheckd (daemon/
 * life.c) writes and `depcheck list` and `depcheck stop --all` (client/
 * cmd-list.c) read; and the syntax of --idle-exit, which depcheck start
 * passes on to depcheckd.  registry.c holds the code both sides share.
 *
 * The registry is a directory of mode 0700: $DEPCHECK_RUNTIME_DIR (an
 * absolute path; another value is ignored), else
 * $XDG_RUNTIME_DIR/depcheck, else /tmp/depcheck-UID.  Each running daemon
 * has one file there, named by its pid in decimal, holding the bytes of
 * its root and a newline.  The daemon writes it under a dot name, takes
 * an exclusive flock(2) on it, renames it into place and holds the lock
 * until it exits; so an entry whose lock nobody holds was left by a
 * daemon that died (kill -9), and whoever finds it removes it.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define REGISTRY_ENV	"DEPCHECK_RUNTIME_DIR"

struct registry_entry {
	pid_t	 pid;
	char	*root;
};

/* The registry directory's path (allocated; it may not exist). */
char	*registry_path(void);
/*
 * Open the registry directory at path, creating it (0700) first when
 * create is set.  A symlink, or a directory of another user's, is refused.
 * Returns a descriptor; -2 when it does not exist (and create is not
 * set); or -1 with an allocated cause.
 */
int	 registry_open(const char *, int, char **);
/*
 * The live entries (their lock held), sorted by pid, in an allocated
 * array (free with registry_free); entries left by dead daemons are
 * removed on the way.  Returns the number of entries.
 */
size_t	 registry_list(int, struct registry_entry **);
void	 registry_free(struct registry_entry *, size_t);
/*
 * Open pid's entry to wait on its lock, which goes with the daemon:
 * flock(LOCK_SH) returns once it has exited.  A descriptor, or -1.
 */
int	 registry_entry_open(int, pid_t);
/*
 * Register this process for root (borrowed).  Returns the entry's locked
 * descriptor, to keep open while the daemon runs, or -1 with an
 * allocated cause.
 */
int	 registry_add(int, const char *, char **);
/* Remove this process's entry, if its name still holds the file of fd. */
void	 registry_remove(int, int);
/*
 * Parse a duration for --idle-exit: a whole number with a unit s, m, h
 * or d (90s, 30m, 2h, 1d), a plain number being seconds, 0 meaning never.
 * Returns 0 with milliseconds in *ms, or -1.
 */
int	 registry_duration(const char *, uint64_t *);

#endif
