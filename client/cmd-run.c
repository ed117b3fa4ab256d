/*
 * depcheck run: run a recipe only when its target is stale, and record
 * the seq at which it started, so that a dependency written while it ran
 * (after the compiler read it) makes the target stale next time -- what
 * make and ninja both miss (DESIGN section 3, "Recorded builds").
 */
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "client.h"
#include "cmd.h"

/*
 * Run argv, as system(3) would: the caller ignores SIGINT and SIGQUIT
 * while waiting (make signals the whole process group).  Returns the
 * exit status, or 128 + the signal that ended it.
 */
static int
run_command(char **argv)
{
	struct sigaction	 ign, oint, oquit;
	pid_t			 pid;
	int			 status;

	fflush(stdout);
	fflush(stderr);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	if ((pid = fork()) == -1)
		cmd_fail("cannot fork to run '%s': %s", argv[0],
		    strerror(errno));
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		execvp(argv[0], argv);
		cmd_warn("cannot run '%s': %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			cmd_fail("cannot wait for '%s': %s", argv[0],
			    strerror(errno));
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

/* Print the command as make would echo it (shell-quoted where needed). */
static void
run_echo(char **argv)
{
	const char	*p;
	int		 i;

	for (i = 0; argv[i] != NULL; i++) {
		if (i != 0)
			putchar(' ');
		if (*argv[i] != '\0' && strspn(argv[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%") ==
		    strlen(argv[i])) {
			fputs(argv[i], stdout);
			continue;
		}
		putchar('\'');
		for (p = argv[i]; *p != '\0'; p++) {
			if (*p == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*p);
		}
		putchar('\'');
	}
	putchar('\n');
	cmd_flush();		/* before the recipe runs */
}

/*
 * Tell the daemon how the recipe for res->target_rel ended, on the
 * check's connection, kept open while the recipe ran.  A daemon that
 * closed it meanwhile (its idle timeout, or a restart) did not see the
 * RUN_DONE: connect again and send it once more (t4002).  The daemon
 * syncs again before it answers: "finished" must cover the recipe's own
 * writes, or the target's write would come after it and the record
 * would not apply.  A failure to record a success is an error (the next
 * check could miss a dependency rewritten while the recipe ran); after a
 * failed recipe it is a warning.
 */
static int
run_record(struct check_result *res, const char *target, int status)
{
	struct proto_run_done	 m;
	struct client		*c = &res->client;
	struct pbuf		 b;
	uint8_t			*p;
	uint32_t		 type, len;
	uint64_t		 finished;
	const char		*why;
	char			*cause = NULL;
	int			 tries;

	pbuf_init(&b);
	m.target = res->target_rel;
	m.targetlen = (uint32_t)strlen(res->target_rel);
	m.started = res->high + 1;
	m.status = status != 0;
	if (proto_pack_run_done(&b, &m) != 0) {
		xasprintf(&cause, "the path is too long");
		goto fail;
	}
	for (tries = 0;; tries++) {
		if (c->fd == -1) {
			switch (client_open(c, res->root, &cause)) {
			case 1:
				free(cause);
				xasprintf(&cause, "the daemon for '%s' is gone",
				    res->root);
				goto fail;
			case -1:
				goto fail;
			}
		}
		if (client_request(c, &b, &type, &p, &len, &cause) == 0)
			break;
		if (!c->lost || tries == 1)
			goto fail;
		free(cause);
		cause = NULL;
		client_close(c);
	}
	if (type != PROTO_MSG_RUN_RECORDED) {
		free(p);
		xasprintf(&cause, "unexpected %s reply from the daemon for"
		    " '%s'", proto_msg_name(type), res->root);
		goto fail;
	}
	if (proto_unpack_value(type, p, len, &finished, &why) != 0) {
		free(p);
		xasprintf(&cause, "bad reply: %s", why);
		goto fail;
	}
	free(p);
	pbuf_free(&b);
	return (0);
fail:
	cmd_warn("%s '%s' but cannot record it: %s", status == 0 ?
	    "built" : "the recipe failed for", target, cause);
	free(cause);
	pbuf_free(&b);
	return (-1);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "why",	no_argument, NULL, 'v' },
		{ "echo",	no_argument, NULL, 'e' },
		{ "strict",	no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct check_opts	 o;
	struct check_result	 res;
	int			 ch, i, sep, verdict, status, echo = 0;

	memset(&o, 0, sizeof o);
	o.run = 1;
	optind = 1;
	opterr = 0;
	/* '+': options end at TARGET; what follows -- is the command's. */
	while ((ch = getopt_long(argc, argv, "+:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v': o.why = 1; break;
		case 'e': echo = 1; break;
		case 's': o.strict = 1; break;
		default:
			cmd_badopt("run", argv, ch);
		}
	}
	/* getopt ate the -- of "run -- CMD": that is a missing TARGET. */
	i = optind;
	if (i > 1 && strcmp(argv[i - 1], "--") == 0)
		i--;
	if (cmd_strict_env())
		o.strict = 1;
	for (sep = i; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc)
		cmd_usage("run", "missing -- before the command");
	if (sep == i)
		cmd_usage("run", "missing TARGET");
	if (sep + 1 == argc)
		cmd_usage("run", "missing the command after --");

	verdict = check_paths(&o, argv + i, sep - i, &res);
	if (verdict != EXIT_STALE) {
		check_result_free(&res);
		return (verdict);
	}
	/*
	 * The check synced at res.high: anything written from here on,
	 * while the recipe runs included, gets a higher seq.
	 */
	if (echo)
		run_echo(argv + sep + 1);
	status = run_command(argv + sep + 1);
	if (res.connected && res.target_rel != NULL &&
	    run_record(&res, argv[i], status) != 0 && status == 0)
		status = EXIT_TROUBLE;
	check_result_free(&res);
	return (status);
}
