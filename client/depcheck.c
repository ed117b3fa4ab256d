/*
 * depcheck: the command line.  Finds the subcommand in cmd_table and
 * runs it; anything that is not a subcommand is a check
 * ("depcheck TARGET DEP...").  One request per run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cmd.h"

#define DEPCHECK_VERSION	"0.1.0"

struct cmd_entry {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
};

static const struct cmd_entry cmd_table[] = {
	{ "check", cmd_check, "check [--why] [--newer] [-0] [--json]"
	    " [--strict] [--no-sync] [--depfile FILE]... [TARGET [DEP...]]" },
	{ "run", cmd_run, "run [--why] [--echo] [--strict] TARGET DEP... -- CMD [ARG...]" },
	{ "start", cmd_start, "start [--foreground] [--ignore GLOB]..."
	    " [--nested] [--idle-exit DURATION] [--history N] [DIR]" },
	{ "stop", cmd_stop, "stop [--all | DIR]" },
	{ "list", cmd_list, "list [--json]" },
	{ "status", cmd_status, "status [--json]" },
	{ "seq", cmd_seq, "seq [--json] PATH..." },
	{ "since", cmd_since, "since [--json] [-0] [--no-sync] TOKEN" },
	{ "watch", cmd_watch, "watch [--json] [-0] [--since TOKEN] [PATH...]" },
	{ "log", cmd_log, "log [--json] [-n N] [PATH...]" },
	{ "exec", cmd_exec, "exec [--strict] [--why] -- CMD [ARG...]" },
};
#define CMD_COUNT	(sizeof cmd_table / sizeof cmd_table[0])

/* The one shape of every message: "depcheck: ", the text, a newline. */
static void
cmd_vwarn(const char *fmt, va_list ap)
{
	fputs("depcheck: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cmd_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vwarn(fmt, ap);
	va_end(ap);
}

void
cmd_fail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vwarn(fmt, ap);
	va_end(ap);
	exit(EXIT_TROUBLE);
}

void
cmd_usage(const char *name, const char *fmt, ...)
{
	va_list	ap;
	size_t	i;

	va_start(ap, fmt);
	cmd_vwarn(fmt, ap);
	va_end(ap);
	for (i = 0; i < CMD_COUNT; i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
			fprintf(stderr, "usage: depcheck %s\n",
			    cmd_table[i].usage);
	}
	exit(EXIT_TROUBLE);
}

void
cmd_badopt(const char *name, char **argv, int ch)
{
	char		 opt[3] = { '-', (char)optopt, '\0' };
	const char	*last = argv[optind - 1];
	const char	*what = strncmp(last, "--", 2) == 0 || optopt == 0 ||
	    optopt >= 0x80 ? last : opt;

	if (ch == ':')
		cmd_usage(name, "option '%s' needs a value", what);
	cmd_usage(name, "unknown option '%s'", what);
}

void
cmd_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		cmd_fail("cannot write output: %s", strerror(errno));
}

const struct option cmd_json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

void
cmd_connect(struct client *c, char **root)
{
	char	*cause;

	if (client_find_root(root, &cause) == -1)
		cmd_fail("%s", cause);
	switch (client_open(c, *root, &cause)) {
	case 1:
		cmd_fail("no daemon for '%s' (run: depcheck start)", *root);
	case -1:
		cmd_fail("%s", cause);
	}
}

int
cmd_strict_env(void)
{
	const char	*env = getenv("DEPCHECK_STRICT");

	return (env != NULL && strcmp(env, "1") == 0);
}

const char *
cmd_time(int64_t ns)
{
	static char	buf[64];
	struct tm	tm;
	time_t		t = (time_t)(ns / 1000000000);
	size_t		len;

	if (ns <= 0)
		return ("-");
	gmtime_r(&t, &tm);
	len = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, sizeof buf - len, ".%03dZ",
	    (int)(ns % 1000000000 / 1000000));
	return (buf);
}

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: depcheck [--why|-v] [--newer|-n] [-0] [--json]"
	    " [--strict] [--no-sync] [--depfile FILE]... TARGET [DEP...]\n");
	for (i = 0; i < CMD_COUNT; i++) {
		if (cmd_table[i].fn != NULL)	/* not the reserved ones */
			fprintf(f, "       depcheck %s\n", cmd_table[i].usage);
	}
	fprintf(f, "       depcheck --help | --version\n"
	    "exit status: 0 up to date, 1 stale, 2 error\n");
}

int
main(int argc, char **argv)
{
	size_t	i;
	int	rc;

	if (argc < 2) {
		fprintf(stderr, "depcheck: missing TARGET or subcommand\n");
		usage(stderr);
		return (EXIT_TROUBLE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		cmd_flush();
		return (0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("depcheck %s (protocol %d)\n", DEPCHECK_VERSION,
		    PROTO_VERSION);
		cmd_flush();
		return (0);
	}
	for (i = 0; i < CMD_COUNT; i++) {
		if (strcmp(argv[1], cmd_table[i].name) != 0)
			continue;
		if (cmd_table[i].fn == NULL)
			cmd_fail("'%s' is not available in this version",
			    argv[1]);
		rc = cmd_table[i].fn(argc - 1, argv + 1);
		cmd_flush();
		return (rc);
	}
	rc = cmd_check(argc, argv);
	/* What was printed reached stdout, or the status says it did not. */
	cmd_flush();
	return (rc);
}
