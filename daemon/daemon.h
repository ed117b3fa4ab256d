/*
 * The daemon's one instance: what every module reaches for (loop, root,
 * the index, the database, the watcher).  Owned by main.c; each module
 * keeps its own state behind its own struct.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <sys/types.h>

#include <stdint.h>
#include <uv.h>

#define DEPCHECK_VERSION	"0.1.0"
#define STATE_DIR		".depcheck"

struct index;
struct db;
struct watch;
struct sync;
struct server;
struct stamp;
struct scan;
struct publish;
struct life;

struct daemon {
	uv_loop_t	*loop;
	char		*root;		/* absolute, resolved */
	int		 rootfd;	/* O_PATH|O_DIRECTORY on root */
	char		*statedir;	/* ROOT/.depcheck */
	char		*sockpath;
	char		*dbpath;
	char		*logpath;
	char	       **ignore;	/* --ignore globs, NULL-terminated */
	int		 foreground;
	unsigned	 sync_timeout_ms;
	unsigned	 max_conns;	/* --max-connections */
	unsigned	 idle_timeout_ms; /* --idle-timeout: silent clients */
	uint64_t	 idle_exit_ms;	/* --idle-exit: 0 never */
	int64_t		 started_ns;

	struct index	*index;
	struct db	*db;
	struct watch	*watch;
	struct sync	*sync;
	struct server	*server;
	struct stamp	*stamp;
	struct scan	*scan;		/* the crawler */
	struct publish	*publish;	/* the image for exec, or NULL */
	struct life	*life;		/* state directory, registry, idle */
	int		 lockfd;	/* ROOT/.depcheck/lock, held */

	int		 db_failed;	/* last commit failed: answer errors */
	char		*db_cause;
	char		*db_recovered;	/* why the database was rebuilt */
	int		 seqmark_fd;	/* ROOT/.depcheck/seq */
	uint64_t	 overflows;
	uint64_t	 rescans;
	int64_t		 last_rescan_ns;
	int64_t		 observed_ns;	/* every write before this was seen */
	int		 stopping;
	int		 starting;	/* stderr still reaches "depcheck start" */
	struct index	*force;		/* rescan: below these, all changed */
	int		 rescan_pending; /* owed after an overflow: syncs wait */
	uv_timer_t	 rescan_timer;
	uint64_t	 rescan_end_ms;	/* monotonic end of the last rescan */
	unsigned	 rescan_backoff_ms;
};

extern struct daemon *daemon_self;

/* Commit the current batch and answer the sync waiters it satisfies. */
void	 daemon_batch_end(struct daemon *);
/* Write the seq mark file (ROOT/.depcheck/seq); -1 on failure. */
int	 daemon_seqmark_write(struct daemon *, uint64_t);
/* Log a warning; during start-up also tell the user on stderr. */
void	 daemon_say(struct daemon *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
/* Begin an orderly shutdown: stop the loop once replies are out. */
void	 daemon_shutdown(struct daemon *);

#endif
