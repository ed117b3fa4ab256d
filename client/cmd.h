/*
 * The client's subcommands (cmd-*.c), dispatched by depcheck.c, and the
 * helpers they share for messages.
 */
#ifndef CMD_H
#define CMD_H

#include "compare.h"

int	 cmd_check(int, char **);
int	 cmd_start(int, char **);
int	 cmd_stop(int, char **);
int	 cmd_status(int, char **);
int	 cmd_seq(int, char **);

/* One line on stderr: "depcheck: " and the message. */
void	 cmd_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* cmd_warn, then exit EXIT_TROUBLE. */
void	 cmd_fail(const char *, ...)
	     __attribute__((format(printf, 1, 2), noreturn));
/* A usage error: the message, the usage line of cmd, exit EXIT_TROUBLE. */
void	 cmd_usage(const char *, const char *, ...)
	     __attribute__((format(printf, 2, 3), noreturn));
/* Format nanoseconds since the epoch as ISO-8601 UTC (static buffer). */
const char *cmd_time(int64_t);

#endif
