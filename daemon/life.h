/*
 * What keeps the daemon alive and what ends it: its hold on the state
 * directory (ROOT/.depcheck/ and its lock, socket, database and seq mark,
 * checked every second: removed or replaced, the daemon stops), its entry
 * in the user's registry of daemons (proto/registry.h), and the idle exit
 * (--idle-exit).  Owned by main.c; conn.c and server.c report activity.
 */
#ifndef LIFE_H
#define LIFE_H

#include <stdint.h>

struct daemon;
struct life;

/*
 * Take hold of the state directory (its lock is held already): write its
 * .gitignore, stop a daemon of the same root whose state directory was
 * removed (an orphan), and register.  Returns the new object (owned by
 * the caller), or NULL with an allocated cause.
 */
struct life	*life_new(struct daemon *, char **);
/* Once the daemon listens: start the checks and the idle timer. */
void		 life_start(struct life *);
/* Leave the registry and free (after the loop is closed). */
void		 life_free(struct life *);
/* A request came, or a connection opened or closed. */
void		 life_activity(struct life *);
/*
 * The number of open connections changed (server.c): while any is open
 * the daemon is not idle, however quiet its clients.
 */
void		 life_conns(struct life *, unsigned);
/*
 * Are the state directory and its lock still the ones this daemon holds?
 * Only then may it remove files there (another daemon's, otherwise).
 * Without a life (the unit tests), yes.
 */
int		 life_owns(struct life *);
/* The resident memory of this process, in bytes (0 if unknown). */
uint64_t	 life_rss_bytes(void);

#endif
