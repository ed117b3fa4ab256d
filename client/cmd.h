/*
 * The client's subcommands (cmd-*.c), dispatched by depcheck.c, and the
 * helpers they share for messages.
 */
#ifndef CMD_H
#define CMD_H

#include <getopt.h>
#include <stdint.h>

#include "client.h"
#include "compare.h"

struct check_opts {
	int	why;
	int	newer;
	int	zero;
	int	json;
	int	strict;
	int	nosync;
	int	run;		/* for depcheck run: see check_paths */
};

/* What a check learnt, for depcheck run (free with check_result_free). */
struct check_result {
	char		*root;
	int		 connected;	/* the daemon answered */
	struct client	 client;	/* open for depcheck run's RUN_DONE */
	uint64_t	 high;		/* its high-water seq at the sync */
	char		*target_rel;	/* the target's relpath, if by seq */
};

/*
 * Check argv[0] (the target) against argv[1..n): gather facts, decide,
 * print what the options ask for.  Returns EXIT_FRESH, EXIT_STALE or
 * EXIT_TROUBLE (errors that end the run exit here).  With o->run (depcheck
 * run, inside a make recipe), a missing dependency makes the target stale
 * rather than being an error: make has dealt with the prerequisites
 * already, and one that does not exist then is phony (FORCE), which makes
 * the target out of date for make too.
 */
int	 check_paths(const struct check_opts *, char **, int,
	     struct check_result *);
void	 check_result_free(struct check_result *);

int	 cmd_check(int, char **);
int	 cmd_run(int, char **);
int	 cmd_start(int, char **);
int	 cmd_stop(int, char **);
int	 cmd_status(int, char **);
int	 cmd_seq(int, char **);
int	 cmd_exec(int, char **);
int	 cmd_list(int, char **);
int	 cmd_since(int, char **);
int	 cmd_watch(int, char **);
int	 cmd_log(int, char **);
/* depcheck stop --all: stop every daemon in the registry (cmd-list.c). */
int	 list_stop_all(void);

/* One line on stderr: "depcheck: " and the message. */
void	 cmd_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* cmd_warn, then exit EXIT_TROUBLE. */
void	 cmd_fail(const char *, ...)
	     __attribute__((format(printf, 1, 2), noreturn));
/* A usage error: the message, the usage line of cmd, exit EXIT_TROUBLE. */
void	 cmd_usage(const char *, const char *, ...)
	     __attribute__((format(printf, 2, 3), noreturn));
/*
 * getopt_long (opterr 0, optstring starting with ':') returned '?' or
 * ':': a usage error naming the option.
 */
void	 cmd_badopt(const char *, char **, int)
	     __attribute__((noreturn));
/*
 * Connect to the daemon of the discovered root (allocated in *root), or
 * fail: "no daemon for ROOT (run: depcheck start)" when none runs.
 */
void	 cmd_connect(struct client *, char **);
/* DEPCHECK_STRICT=1: --strict for check, run and exec. */
int	 cmd_strict_env(void);
/*
 * Flush stdout and check that everything printed was written; if not,
 * cmd_fail "cannot write output: CAUSE".  Every subcommand that prints
 * ends with it (depcheck.c's main calls it after the subcommand).
 */
void	 cmd_flush(void);
/* The options of a subcommand whose only one is --json (getopt 'j'). */
extern const struct option cmd_json_opts[];
/* Format nanoseconds since the epoch as ISO-8601 UTC (static buffer). */
const char *cmd_time(int64_t);

#endif
