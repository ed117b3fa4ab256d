/*
 * depcheck exec: run a build tool so that its own staleness decisions
 * follow write order (DESIGN section 10).  Finds the root, starts its
 * daemon when none runs, and executes CMD with the preload library
 * (client/preload.c) added to LD_PRELOAD.  What the library needs it
 * reads from the environment: DEPCHECK_EXEC_ROOT, DEPCHECK_EXEC_WHY.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "image.h"
#include "client.h"
#include "cmd.h"

#define EXEC_PRELOAD_NAME	"depcheck-preload.so"
/* --idle-exit of a daemon exec starts (DEPCHECK_IDLE_EXIT overrides). */
#define EXEC_IDLE_EXIT		"2h"

/*
 * The library: $DEPCHECK_PRELOAD, else ../lib/depcheck/ from this
 * program's directory (as installed, and as built in build/).
 */
static char *
exec_preload_path(void)
{
	const char	*env = getenv("DEPCHECK_PRELOAD");
	char		 self[PATH_MAX], *slash, *path;
	ssize_t		 n;

	if (env != NULL && *env != '\0')
		return (xstrdup(env));
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return (NULL);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return (NULL);
	*slash = '\0';
	xasprintf(&path, "%s/../lib/depcheck/" EXEC_PRELOAD_NAME, self);
	return (path);
}

/*
 * Start the daemon for root, as `depcheck start ROOT` does.  Returns 0, or
 * -1 with an allocated cause: what start said (its first line), so that
 * exec still says one line in all.
 */
static int
exec_start(char *root, char **cause)
{
	const char *idle = getenv("DEPCHECK_IDLE_EXIT");
	char	*args[] = { "start", "--idle-exit", NULL, root, NULL };
	char	 buf[1024], *nl, *msg;
	size_t	 len = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 fds[2], status;

	fflush(stdout);
	fflush(stderr);
	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) == -1) {
		xasprintf(cause, "cannot start a daemon for '%s': %s", root,
		    strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		/* As depcheck.mk: a daemon a build started goes when idle. */
		args[2] = xstrdup(idle != NULL && *idle != '\0' ? idle :
		    EXEC_IDLE_EXIT);
		_exit(cmd_start(4, args));
	}
	close(fds[1]);
	while (len < sizeof buf - 1 &&
	    ((n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0 ||
	    (n == -1 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fds[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			break;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	/* Its words, without the program's name. */
	msg = buf;
	if (strncmp(msg, "depcheck: ", 10) == 0)
		msg += 10;
	if (strncmp(msg, "depcheckd: ", 11) == 0)
		msg += 11;
	xasprintf(cause, "cannot start a daemon for '%s': %s", root,
	    *msg != '\0' ? msg : "it exited early");
	return (-1);
}

/* Can the image of root be read?  0, or -1 with an allocated cause. */
static int
exec_image_ok(const char *root, char **cause)
{
	struct stat	 st;
	const char	*why;
	char		*path;
	void		*p;
	int		 fd, rc = -1;

	xasprintf(&path, "%s/.depcheck/image", root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xasprintf(cause, "cannot open '%s': %s", path,
		    strerror(errno));
		free(path);
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != getuid())
		xasprintf(cause, "'%s' is not a file of uid %u", path,
		    (unsigned)getuid());
	else if ((p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
	    fd, 0)) == MAP_FAILED)
		xasprintf(cause, "cannot map '%s': %s", path, strerror(errno));
	else {
		if (image_check(p, (size_t)st.st_size, &why) != 0)
			xasprintf(cause, "image '%s' is unusable: %s", path,
			    why);
		else
			rc = 0;
		munmap(p, (size_t)st.st_size);
	}
	close(fd);
	free(path);
	return (rc);
}

/*
 * Make sure a daemon watches root and publishes an image (the daemon
 * makes it on the first IMAGE request); -1 with an allocated cause.
 */
static int
exec_prepare(char *root, char **cause)
{
	struct client	 c;
	uint8_t		*payload;
	uint32_t	 len;
	int		 rc;

	/* The HELLO goes out with the IMAGE: one round trip. */
	rc = client_open(&c, root, cause);
	if (rc == 1) {
		client_close(&c);
		if (exec_start(root, cause) != 0)
			return (-1);
		rc = client_open(&c, root, cause);
		if (rc == 1)
			xasprintf(cause, "the daemon for '%s' is gone", root);
	}
	if (rc == 0 && (rc = client_simple(&c, PROTO_MSG_IMAGE,
	    PROTO_MSG_SYNC_OK, &payload, &len, cause)) == 0)
		free(payload);
	client_close(&c);
	if (rc != 0)
		return (-1);
	return (exec_image_ok(root, cause));
}

/* LD_PRELOAD with lib appended (once), allocated. */
static char *
exec_ld_preload(const char *lib)
{
	const char	*old = getenv("LD_PRELOAD");
	char		*v;

	if (old == NULL || *old == '\0')
		return (xstrdup(lib));
	if (strstr(old, lib) != NULL)
		return (xstrdup(old));
	/*
	 * A colon, not a space: ld.so takes both, but tools that edit the
	 * list split it at colons; valgrind drops the entry holding its own
	 * library, and with a space ours went with it (t7004, under
	 * DEPCHECK_TEST_WRAP).
	 */
	xasprintf(&v, "%s:%s", old, lib);
	return (v);
}

int
cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "strict",	no_argument,	NULL, 's' },
		{ "why",	no_argument,	NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	char		*root = NULL, *cause = NULL, *lib, *preload;
	int		 ch, strict = 0, why = 0, rc;

	strict = cmd_strict_env();
	optind = 1;
	opterr = 0;
	/* '+': options end at CMD, whose own options are its business. */
	while ((ch = getopt_long(argc, argv, "+:vw", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			strict = 1;
			break;
		case 'v':
		case 'w':
			why = 1;
			break;
		default:
			cmd_badopt("exec", argv, ch);
		}
	}
	if (optind >= argc)
		cmd_usage("exec", "no command to run");

	/*
	 * The daemon first, the library after: a child that starts the daemon
	 * holds nothing of ours (valgrind counts what a child leaves).
	 */
	lib = NULL;
	if ((rc = client_find_root(&root, &cause)) != -1 &&
	    (rc = exec_prepare(root, &cause)) == 0 &&
	    ((lib = exec_preload_path()) == NULL || access(lib, R_OK) != 0)) {
		xasprintf(&cause, "cannot find the preload library '%s'"
		    " (set DEPCHECK_PRELOAD)", lib != NULL ? lib :
		    EXEC_PRELOAD_NAME);
		rc = -1;
	}
	if (rc != 0) {
		if (strict)
			cmd_fail("%s (--strict: not running '%s')", cause,
			    argv[optind]);
		cmd_warn("%s; '%s' runs with real mtimes", cause,
		    argv[optind]);
		free(cause);
		unsetenv("DEPCHECK_EXEC_ROOT");
	} else {
		preload = exec_ld_preload(lib);
		if (setenv("LD_PRELOAD", preload, 1) != 0 ||
		    setenv("DEPCHECK_EXEC_ROOT", root, 1) != 0)
			cmd_fail("cannot set LD_PRELOAD for '%s': %s",
			    argv[optind], strerror(errno));
		free(preload);
	}
	if (why)
		setenv("DEPCHECK_EXEC_WHY", "1", 1);
	else
		unsetenv("DEPCHECK_EXEC_WHY");
	free(lib);
	free(root);
	fflush(stdout);
	execvp(argv[optind], argv + optind);
	rc = errno;
	cmd_warn("cannot run '%s': %s", argv[optind], strerror(rc));
	return (rc == ENOENT ? 127 : 126);
}
