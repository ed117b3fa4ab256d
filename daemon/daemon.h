/*
 * The daemon's one instance: what is truly shared (loop, root, options,
 * the modules' handles).  Owned by main.c; each module keeps its own
 * state behind its own struct and takes what it uses as parameters.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <sys/types.h>

#include <stdint.h>
#include <uv.h>

#define DEPCHECK_VERSION	"0.1.0"
#define STATE_DIR		".depcheck"

struct batch;
struct db;
struct index;
struct life;
struct prune;
struct publish;
struct rescan;
struct scan;
struct server;
struct stamp;
struct sync;
struct watch;

/*
 * Every field is written by main.c while it starts the daemon, and only
 * read after, except where a comment names its one other writer.
 */
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
	uint64_t	 history_max;	/* --history: writes the log keeps */
	int64_t		 started_ns;
	int64_t		 first_sight_ns; /* the root's first crawl began */
	int		 starting;	/* stderr still reaches "depcheck start" */

	struct index	*index;
	struct db	*db;
	struct stamp	*stamp;		/* write order within a drain */
	struct watch	*watch;
	struct scan	*scan;		/* the crawler */
	struct rescan	*rescan;	/* overflows, lost watches, retries */
	struct batch	*batch;		/* drain, commit, tell subscribers */
	struct sync	*sync;
	struct server	*server;
	struct publish	*publish;	/* the image for exec, or NULL */
	uint64_t	 publish_from;	/* seq of this start's first stamp */
	int64_t		 publish_floor_ns; /* meta presented_high at start */
	int		 publish_failed; /* the last try to publish failed */
	struct news	*news;		/* since, log, watch */
	struct prune	*prune;		/* forgets deleted paths, or NULL */
	struct life	*life;		/* state directory, registry, idle */
	int		 lockfd;	/* ROOT/.depcheck/lock, held */
	int		 seqmark_fd;	/* ROOT/.depcheck/seq */
	char		*db_recovered;	/* why the database was rebuilt */

	int		 db_failed;	/* batch.c: last commit failed */
	char		*db_cause;	/* batch.c: why */
	int		 stopping;	/* daemon.c: daemon_shutdown */
};

/* Log a warning; during start-up also tell the user on stderr. */
void	 daemon_say(struct daemon *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
/* Begin an orderly shutdown: stop the loop once replies are out. */
void	 daemon_shutdown(struct daemon *);

#endif
