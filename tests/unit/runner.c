/*
 * The unit test runner: forks each test listed in test-list.h under a
 * timeout and prints TAP.  Also holds the check functions of unit.h, which
 * run in the forked child.
 *
 * Build (from the top of the tree): every .c file of tests/unit together
 * with the objects under test, with -Iproto -Iclient -Idaemon, for example
 *
 *	cc -Wall -Wextra -Werror -g -Iproto -Iclient -Idaemon -o runner \
 *	    tests/unit/[a-z]*.c proto/proto.c proto/xmalloc.c \
 *	    client/compare.c client/json.c
 *
 * (and later the daemon's objects except main.o).  Add
 * -fsanitize=address,undefined for the sanitizer build.
 *
 * Use: "runner" runs every test; "runner NAME..." runs only those, in the
 * order given; "runner -l" lists the names.  Output is TAP: "1..N", then
 * "ok I - NAME" or "not ok I - NAME" followed by the failed test's stdout
 * and stderr as "# " lines.  Exit status 0 if all passed, 1 if any failed,
 * 2 on a usage error.
 *
 * To add a test: write "void module_behaviour(void)" in test-module.c and
 * add TEST(module_behaviour) to test-list.h.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

struct unit_test {
	const char	*name;
	void		(*fn)(void);
};

static const struct unit_test unit_tests[] = {
#define TEST(name)	{ #name, name },
#include "test-list.h"
#undef TEST
};
#define UNIT_NTESTS	(sizeof unit_tests / sizeof unit_tests[0])

/*
 * Grace the parent gives past UNIT_TIMEOUT before it kills a child that
 * survived its own alarm (one that blocked or caught SIGALRM).
 */
#define UNIT_GRACE	5

static volatile sig_atomic_t unit_alarmed;

static void	 unit_alarm_cb(int);
static void	 unit_child(const struct unit_test *, int);
static int	 unit_run(size_t, const struct unit_test *);
static void	 unit_print_output(FILE *);
static void	 unit_print_escaped(const void *, size_t);
static const struct unit_test *unit_find(const char *);

void
unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/*
	 * _exit, not exit: the test stopped half-way, so what it allocated
	 * is still held and a leak report would only hide the failure.
	 */
	_exit(1);
}

void
unit_check_int(const char *file, int line, const char *aexpr,
    const char *bexpr, intmax_t a, intmax_t b)
{
	if (a != b)
		unit_fail(file, line, "CHECK_EQ_INT(%s, %s) failed: %jd != %jd",
		    aexpr, bexpr, a, b);
}

void
unit_check_uint(const char *file, int line, const char *aexpr,
    const char *bexpr, uintmax_t a, uintmax_t b)
{
	if (a != b)
		unit_fail(file, line, "CHECK_EQ_UINT(%s, %s) failed: "
		    "%ju (%#jx) != %ju (%#jx)", aexpr, bexpr, a, a, b, b);
}

void
unit_check_str(const char *file, int line, const char *aexpr,
    const char *bexpr, const char *a, const char *b)
{
	if (a == NULL && b == NULL)
		return;
	if (a != NULL && b != NULL && strcmp(a, b) == 0)
		return;
	fflush(stdout);
	fprintf(stderr, "%s:%d: CHECK_EQ_STR(%s, %s) failed\n", file, line,
	    aexpr, bexpr);
	fprintf(stderr, "  left:  ");
	if (a == NULL)
		fprintf(stderr, "NULL");
	else
		unit_print_escaped(a, strlen(a));
	fprintf(stderr, "\n  right: ");
	if (b == NULL)
		fprintf(stderr, "NULL");
	else
		unit_print_escaped(b, strlen(b));
	fputc('\n', stderr);
	_exit(1);
}

void
unit_check_mem(const char *file, int line, const char *aexpr,
    const char *bexpr, const void *a, size_t alen, const void *b,
    size_t blen)
{
	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return;
	fflush(stdout);
	fprintf(stderr, "%s:%d: CHECK_EQ_MEM(%s, %s) failed\n", file, line,
	    aexpr, bexpr);
	fprintf(stderr, "  left:  %zu bytes ", alen);
	unit_print_escaped(a, alen);
	fprintf(stderr, "\n  right: %zu bytes ", blen);
	unit_print_escaped(b, blen);
	fputc('\n', stderr);
	_exit(1);
}

/* Print bytes on stderr in quotes, other than printable ASCII as \ooo. */
static void
unit_print_escaped(const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	fputc('"', stderr);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fprintf(stderr, "\\%c", s[i]);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			fputc(s[i], stderr);
		else
			fprintf(stderr, "\\%03o", s[i]);
	}
	fputc('"', stderr);
}

static void
unit_alarm_cb(int sig)
{
	(void)sig;
	unit_alarmed = 1;
}

/* In the child: run one test with its output going to fd. */
static void
unit_child(const struct unit_test *t, int fd)
{
	int	null;

	setpgid(0, 0);
	if ((null = open("/dev/null", O_RDONLY)) != -1) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	signal(SIGALRM, SIG_DFL);
	alarm(UNIT_TIMEOUT);
	t->fn();
	exit(0);
}

/* Copy a failed test's output as TAP diagnostics. */
static void
unit_print_output(FILE *f)
{
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	rewind(f);
	while ((n = getline(&line, &size, f)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		printf("# %s\n", line);
	}
	free(line);
}

/* Run test number num (from 1) in a child; returns 0 if it passed. */
static int
unit_run(size_t num, const struct unit_test *t)
{
	struct sigaction	 sa, osa;
	siginfo_t		 info;
	FILE			*out;
	pid_t			 pid;
	int			 status, killed = 0;

	if ((out = tmpfile()) == NULL) {
		printf("not ok %zu - %s\n# tmpfile: %s\n", num, t->name,
		    strerror(errno));
		return (1);
	}
	fflush(stdout);
	fflush(stderr);
	switch (pid = fork()) {
	case -1:
		printf("not ok %zu - %s\n# fork: %s\n", num, t->name,
		    strerror(errno));
		fclose(out);
		return (1);
	case 0:
		unit_child(t, fileno(out));
		/* NOTREACHED */
	}
	setpgid(pid, pid);	/* also here: the child may not have run yet */

	/*
	 * The child's own alarm normally ends it.  This one, without
	 * SA_RESTART so that waitid returns EINTR, catches a child that
	 * blocked or caught SIGALRM.
	 */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = unit_alarm_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &osa);
	unit_alarmed = 0;
	alarm(UNIT_TIMEOUT + UNIT_GRACE);
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) == -1) {
		if (errno != EINTR)
			break;
		if (unit_alarmed && !killed) {
			kill(-pid, SIGKILL);
			killed = 1;
		}
	}
	alarm(0);
	sigaction(SIGALRM, &osa, NULL);
	/*
	 * Processes the test started and left behind go with it.  The child
	 * is not reaped yet, so its process group id cannot have been reused.
	 */
	kill(-pid, SIGKILL);
	if (waitpid(pid, &status, 0) == -1)
		status = -1;

	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %zu - %s\n", num, t->name);
		fclose(out);
		return (0);
	}
	printf("not ok %zu - %s\n", num, t->name);
	unit_print_output(out);
	fclose(out);
	if (status == -1)
		printf("# waitpid: %s\n", strerror(errno));
	else if (killed)
		printf("# timed out after %d s; killed\n",
		    UNIT_TIMEOUT + UNIT_GRACE);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		printf("# timed out after %d s\n", UNIT_TIMEOUT);
	else if (WIFSIGNALED(status))
		printf("# killed by signal %d (%s)%s\n", WTERMSIG(status),
		    strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		printf("# exit status %d\n", WEXITSTATUS(status));
	return (1);
}

static const struct unit_test *
unit_find(const char *name)
{
	size_t	i;

	for (i = 0; i < UNIT_NTESTS; i++) {
		if (strcmp(unit_tests[i].name, name) == 0)
			return (&unit_tests[i]);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	const struct unit_test	*t;
	size_t			 i, n, failed = 0;
	int			 j;

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (i = 0; i < UNIT_NTESTS; i++)
			printf("%s\n", unit_tests[i].name);
		return (0);
	}
	for (j = 1; j < argc; j++) {
		if (argv[j][0] == '-') {
			fprintf(stderr, "usage: %s [-l] [test ...]\n",
			    argv[0]);
			return (2);
		}
		if (unit_find(argv[j]) == NULL) {
			fprintf(stderr, "%s: no test named '%s' "
			    "(list them: %s -l)\n", argv[0], argv[j], argv[0]);
			return (2);
		}
	}

	n = argc > 1 ? (size_t)argc - 1 : UNIT_NTESTS;
	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		t = argc > 1 ? unit_find(argv[i + 1]) : &unit_tests[i];
		if (unit_run(i + 1, t) != 0)
			failed++;
	}
	if (failed != 0)
		printf("# %zu of %zu tests failed\n", failed, n);
	return (failed != 0 ? 1 : 0);
}
