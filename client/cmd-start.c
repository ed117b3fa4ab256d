/*
 * depcheck start and stop: run depcheckd for a root and wait until it
 * watches the tree; ask it to stop and wait until it has exited.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "registry.h"
#include "client.h"
#include "cmd.h"

#define EXIT_RUNNING	3	/* depcheckd: another daemon holds the root */

/* The daemon binary: $DEPCHECKD, else beside this program, else PATH. */
static char *
start_daemon_path(void)
{
	const char	*env = getenv("DEPCHECKD");
	char		 self[PATH_MAX], *slash, *path;
	ssize_t		 n;

	if (env != NULL && *env != '\0')
		return (xstrdup(env));
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			xasprintf(&path, "%s/depcheckd", self);
			if (access(path, X_OK) == 0)
				return (path);
			free(path);
		}
	}
	return (xstrdup("depcheckd"));
}

/* The root named by DIR, else DEPCHECK_ROOT or the working directory. */
static char *
start_root(const char *dir)
{
	const char	*env = getenv("DEPCHECK_ROOT");
	char		*root, *cause;

	if (dir == NULL)
		dir = env != NULL && *env != '\0' ? env : ".";
	if (client_root_arg(dir, &root, &cause) != 0)
		cmd_fail("%s", cause);
	return (root);
}

/*
 * Is a daemon answering for root?  0 and its pid (0: none), or -1 with an
 * allocated cause.
 */
static int
start_running(const char *root, uint64_t *pid, char **cause)
{
	struct client	c;
	int		rc;

	*pid = 0;
	rc = client_connect(&c, root, cause);
	if (rc == 0)
		*pid = c.daemon_pid;
	else if (rc == -1 && c.lost) {
		/*
		 * Connected, then reset: a daemon on its way out (killed, its
		 * last threads still ending) left its socket listening but
		 * never answers.  None answers: start one, and if the dying
		 * one still holds the lock, start_wait waits for it.
		 */
		free(*cause);
		*cause = NULL;
		rc = 1;
	}
	client_close(&c);
	return (rc == -1 ? -1 : 0);
}

/*
 * Is root inside a tree whose daemon answers (a directory above it holds
 * a .depcheck/ of this user's, and its daemon runs)?  1 with that
 * directory (allocated) and the daemon's pid, else 0.  Such a daemon
 * already watches root: a second one would only duplicate it (issue 9).
 * A root with a .depcheck/ of its own was made one on purpose (--nested),
 * and checks below it ask its daemon: that one is started.
 */
static int
start_enclosing(const char *root, char **top, uint64_t *pid)
{
	struct client	 c;
	struct stat	 st;
	char		*dir, *slash, *path, *cause;
	int		 rc;

	xasprintf(&path, "%s/.depcheck", root);
	rc = lstat(path, &st) == 0;
	free(path);
	if (rc)
		return (0);
	dir = xstrdup(root);
	while ((slash = strrchr(dir, '/')) != NULL && dir[1] != '\0') {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		xasprintf(&path, "%s/.depcheck", strcmp(dir, "/") == 0 ? "" :
		    dir);
		rc = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		free(path);
		if (!rc)
			continue;
		cause = NULL;
		if ((rc = client_connect(&c, dir, &cause)) == 0)
			*pid = c.daemon_pid;
		client_close(&c);
		if (rc == -1)
			free(cause);
		if (rc == 0) {
			*top = dir;
			return (1);
		}
	}
	free(dir);
	return (0);
}

/* Run the daemon and wait for its status: 0 once it watches the tree. */
static int
start_run(char *daemon, char **args, const char *root)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		cmd_fail("cannot fork to run '%s': %s", daemon,
		    strerror(errno));
	if (pid == 0) {
		execvp(daemon, args);
		cmd_warn("cannot run '%s': %s", daemon, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			cmd_fail("cannot wait for '%s': %s", daemon,
			    strerror(errno));
	}
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
	    WEXITSTATUS(status) == EXIT_RUNNING))
		return (WEXITSTATUS(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127 ||
	    WIFSIGNALED(status))
		cmd_warn("daemon for '%s' did not start", root);
	return (-1);
}

/* Is ROOT/.depcheck/lock held?  Its holder's pid in buf (or "?"). */
static int
start_locked(const char *root, char *buf, size_t size)
{
	char	*path;
	ssize_t	 n;
	int	 fd, held;

	snprintf(buf, size, "?");
	xasprintf(&path, "%s/.depcheck/lock", root);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd == -1)
		return (0);
	held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	if (held && (n = pread(fd, buf, size - 1, 0)) > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	close(fd);
	return (held);
}

/*
 * Another daemon holds the root's lock (a concurrent start won the race
 * and may still be crawling, or one is on its way out): wait until a
 * daemon answers (0), or the lock is free again (1: start anew), within
 * DEPCHECK_TIMEOUT.  "start" never says yes without a daemon that
 * answers (issue 9).
 */
static int
start_wait(const char *root)
{
	struct timespec	 ts = { 0, 20000000L };
	char		 holder[32], *cause;
	uint64_t	 pid;
	long		 timeout = client_timeout(), i;

	for (i = 0; i < timeout * 50; i++) {
		if (start_running(root, &pid, &cause) != 0)
			cmd_fail("%s", cause);
		if (pid != 0)
			return (0);
		if (!start_locked(root, holder, sizeof holder))
			return (1);
		nanosleep(&ts, NULL);	/* another process's crawl */
	}
	cmd_fail("'%s' is locked by pid %s, which does not answer within"
	    " %ld s (see '%s/.depcheck/depcheckd.log')", root, holder,
	    timeout, root);
}

int
cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground",	no_argument,	   NULL, 'f' },
		{ "ignore",	required_argument, NULL, 'i' },
		{ "nested",	no_argument,	   NULL, 'n' },
		{ "idle-exit",	required_argument, NULL, 'x' },
		{ "history",	required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	char	**args, *root, *daemon, *cause, *top;
	int	  ch, nargs = 0, foreground = 0, nested = 0, status, tries;
	uint64_t  running, ms;

	args = xcalloc((size_t)argc * 2 + 8, sizeof *args);
	args[nargs++] = NULL;	/* the daemon's path, below */
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":fi:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 'i':
			args[nargs++] = "--ignore";
			args[nargs++] = optarg;
			break;
		case 'n':
			nested = 1;
			break;
		case 'x':
			if (registry_duration(optarg, &ms) != 0)
				cmd_usage("start", "bad --idle-exit '%s' (a"
				    " duration such as 90s, 30m, 2h or 1d;"
				    " 0: never)", optarg);
			args[nargs++] = "--idle-exit";
			args[nargs++] = optarg;
			break;
		case 'H':	/* checked by the daemon, which says why */
			args[nargs++] = "--history";
			args[nargs++] = optarg;
			break;
		default:
			cmd_badopt("start", argv, ch);
		}
	}
	if (argc - optind > 1)
		cmd_usage("start", "unexpected argument '%s'",
		    argv[optind + 1]);
	root = start_root(argc - optind == 1 ? argv[optind] : NULL);
	if (start_running(root, &running, &cause) != 0) {
		free(args);
		free(root);
		cmd_fail("%s", cause);
	}
	if (running != 0) {
		cmd_warn("daemon already running for '%s' (pid %" PRIu64 ")",
		    root, running);
		free(args);
		free(root);
		return (0);
	}
	if (!nested && start_enclosing(root, &top, &running)) {
		cmd_warn("'%s' is inside '%s', watched by its daemon (pid %"
		    PRIu64 "); not starting another (--nested would)", root,
		    top, running);
		free(top);
		free(args);
		free(root);
		return (0);
	}
	daemon = start_daemon_path();
	args[0] = daemon;
	args[nargs++] = "--root";
	args[nargs++] = root;
	if (foreground)
		args[nargs++] = "--foreground";
	args[nargs] = NULL;
	fflush(stdout);
	if (foreground) {
		execvp(daemon, args);
		cmd_fail("cannot run '%s': %s", daemon, strerror(errno));
	}
	/*
	 * EXIT_RUNNING: another daemon holds the lock (a concurrent start
	 * won the race, which is fine once it answers; or a daemon on its
	 * way out, and then this start tries again).
	 */
	for (tries = 0; (status = start_run(daemon, args, root)) ==
	    EXIT_RUNNING && start_wait(root) == 1 && tries < 10; tries++)
		;
	if (status == 0 || status == EXIT_RUNNING) {
		if (start_running(root, &running, &cause) != 0)
			cmd_fail("%s", cause);
		if (running == 0)
			cmd_fail("the daemon for '%s' started but does not"
			    " answer (see '%s/.depcheck/depcheckd.log')",
			    root, root);
		status = 0;
	} else
		status = EXIT_TROUBLE;
	free(daemon);
	free(args);
	free(root);
	return (status);
}

static void
stop_alarm(int sig)
{
	(void)sig;
}

/*
 * Wait for the daemon to exit: it holds ROOT/.depcheck/lock until then.
 * Bounded by DEPCHECK_TIMEOUT.
 */
static void
stop_wait(const char *root)
{
	struct sigaction	 sa;
	char			*path;
	int			 fd;
	long			 timeout = client_timeout();

	xasprintf(&path, "%s/.depcheck/lock", root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		free(path);
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);
	if (flock(fd, LOCK_SH) != 0)
		cmd_fail("daemon for '%s' did not stop within %ld s: %s",
		    root, timeout, strerror(errno));
	alarm(0);
	close(fd);
	free(path);
}

/*
 * The daemon would not take a STOP (it speaks another protocol version:
 * an upgrade while it ran; or it does not answer): send SIGTERM to the
 * process that holds ROOT/.depcheck/lock, if that is a depcheckd of this
 * user's.  Returns 0 when signalled, else -1 with an allocated cause.
 */
static int
stop_signal(const char *root, char **cause)
{
	struct stat	 st;
	char		*path, buf[32], comm[64];
	ssize_t		 n;
	pid_t		 pid;
	FILE		*f;
	int		 fd;

	/* Only through a state directory that is really ours. */
	xasprintf(&path, "%s/.depcheck", root);
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid()) {
		xasprintf(cause, "'%s' is not this user's state directory",
		    path);
		free(path);
		return (-1);
	}
	free(path);
	xasprintf(&path, "%s/.depcheck/lock", root);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd == -1 || flock(fd, LOCK_SH | LOCK_NB) == 0 ||
	    errno != EWOULDBLOCK) {
		xasprintf(cause, "no daemon holds the lock of '%s'", root);
		goto fail;
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if ((pid = (pid_t)strtol(buf, NULL, 10)) <= 0) {
		xasprintf(cause, "the lock of '%s' names no pid", root);
		goto fail;
	}
	xasprintf(&path, "/proc/%ld", (long)pid);
	if (stat(path, &st) != 0 || st.st_uid != getuid()) {
		xasprintf(cause, "pid %ld, holding the lock of '%s', is not"
		    " this user's", (long)pid, root);
		free(path);
		goto fail;
	}
	free(path);
	xasprintf(&path, "/proc/%ld/comm", (long)pid);
	f = fopen(path, "re");
	free(path);
	if (f == NULL || fgets(comm, sizeof comm, f) == NULL ||
	    strcmp(comm, "depcheckd\n") != 0) {
		if (f != NULL)
			fclose(f);
		xasprintf(cause, "pid %ld, holding the lock of '%s', is not"
		    " a depcheckd", (long)pid, root);
		goto fail;
	}
	fclose(f);
	if (kill(pid, SIGTERM) != 0) {
		xasprintf(cause, "cannot signal pid %ld, holding the lock of"
		    " '%s': %s", (long)pid, root, strerror(errno));
		goto fail;
	}
	close(fd);
	return (0);
fail:
	if (fd != -1)
		close(fd);
	return (-1);
}

int
cmd_stop(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct client	 c;
	char		*root, *cause, *why;
	int		 ch, all = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch != 'a')
			cmd_badopt("stop", argv, ch);
		all = 1;
	}
	if (argc - optind > (all ? 0 : 1))
		cmd_usage("stop", "unexpected argument '%s'",
		    argv[all ? optind : optind + 1]);
	if (all)
		return (list_stop_all());
	if (optind < argc)
		root = start_root(argv[optind]);
	else if (client_find_root(&root, &cause) == -1)
		cmd_fail("%s", cause);
	switch (client_connect(&c, root, &cause)) {
	case 1:
		cmd_warn("no daemon for '%s'", root);
		client_close(&c);
		free(root);
		return (0);
	case -1:
		goto signal;
	}
	if (client_stop(&c, &cause) != 0)
		goto signal;
	client_close(&c);
	stop_wait(root);
	free(root);
	return (0);

signal:
	client_close(&c);
	if (c.refused)
		cmd_fail("%s", cause);
	if (stop_signal(root, &why) != 0)
		cmd_fail("%s (and %s)", cause, why);
	cmd_warn("%s; sent it SIGTERM instead", cause);
	free(cause);
	stop_wait(root);
	free(root);
	return (0);
}
