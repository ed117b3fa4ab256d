/*
 * spawn: times whole processes (fork, exec, wait) for tests/bench/run.
 * Runs two or more commands interleaved (A, B, A, B, ...) so that both see
 * the same machine at the same moment, and prints per-command statistics.
 *
 *	spawn [-e STATUS[,STATUS...]] [-p PREP] [-s SEP] [-w WARMUP] RUNS \
 *	    -- CMD_A [ARG...] -- CMD_B [ARG...] [-- CMD_C [ARG...]]...
 *
 * Every command runs RUNS times, after WARMUP untimed rounds (default 5).
 * Each run is timed with CLOCK_MONOTONIC from just before fork() to just
 * after waitpid().  A child's stdin and stdout are /dev/null; its stderr
 * is spawn's own, so a warning a command prints is seen.  -s replaces the
 * "--" separator, for commands that take "--" themselves.  -e gives the
 * exit status each command must have, one per command in order (a single
 * value applies to all; default 0): any other status, or a signal, stops
 * spawn with a message and exit status 1.  -p runs the shell command PREP
 * (sh -c PREP spawn-prep INDEX, INDEX the command's number from 1, stdin
 * and stdout /dev/null) before every run of every command, warm-up
 * included, untimed -- e.g. a "make clean" before each timed build; it
 * must exit 0.
 *
 * Output, one line per command, in order, times in microseconds:
 *
 *	INDEX RUNS MEDIAN P90 MIN MAX CPU P99
 *
 * CPU is the median over the timed runs of the user and system time of
 * the command and of every descendant it waited for (wait4's rusage): a
 * loaded machine stretches wall times, much less CPU times.
 *
 * Exit status: 0 done, 1 a command failed, 2 usage or system error.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "number.h"

#define SPAWN_MAX_RUNS		1000000
#define SPAWN_DEFAULT_WARMUP	5

struct spawn_cmd {
	char		**argv;		/* borrowed from main's argv */
	int		  expect;	/* exit status it must have */
	uint64_t	 *ns;		/* one sample per timed run */
	uint64_t	 *cpu;		/* user + system ns, per timed run */
};

static void	 spawn_usage(void) __attribute__((__noreturn__));
static void	 spawn_parse_expect(char *, struct spawn_cmd *, size_t);
static uint64_t	 spawn_now(void);
static void	 spawn_prep(const char *, size_t, const char *, long, int);
static uint64_t	 spawn_run(const struct spawn_cmd *, size_t, const char *,
		     long, int, uint64_t *);
static int	 spawn_compare(const void *, const void *);
static double	 spawn_median(uint64_t *, size_t);
static void	 spawn_report(size_t, struct spawn_cmd *, long);

static void
spawn_usage(void)
{
	fprintf(stderr, "usage: spawn [-e STATUS[,STATUS...]] [-p PREP] "
	    "[-s SEP] [-w WARMUP] RUNS -- CMD_A [ARG...] -- CMD_B [ARG...]"
	    "...\n");
	exit(2);
}

/* "0,1": one status per command; a single value applies to all. */
static void
spawn_parse_expect(char *list, struct spawn_cmd *cmds, size_t ncmds)
{
	char	*s;
	size_t	 i;
	int	 last = 0;

	for (i = 0; i < ncmds; i++) {
		if (list != NULL) {
			s = strsep(&list, ",");
			last = (int)bench_number("exit status", s, 0, 255);
		}
		cmds[i].expect = last;
	}
	if (list != NULL)
		errx(2, "more exit statuses given than commands (%zu)", ncmds);
}

static uint64_t
spawn_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(2, "clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/*
 * Runs the untimed preparation before run number run of command idx:
 * sh -c PREP spawn-prep IDX, so that PREP sees the command's number (from
 * 1) as $1.  Anything but exit status 0 stops spawn.
 */
static void
spawn_prep(const char *prep, size_t idx, const char *phase, long run,
    int devnull)
{
	char	 num[32];
	pid_t	 pid;
	int	 status;

	snprintf(num, sizeof num, "%zu", idx + 1);
	switch (pid = fork()) {
	case -1:
		err(2, "fork");
	case 0:
		if (dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1) {
			warn("dup2");
			_exit(127);
		}
		execl("/bin/sh", "sh", "-c", prep, "spawn-prep", num,
		    (char *)NULL);
		warn("cannot run /bin/sh");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			err(2, "waitpid");
	}
	if (WIFSIGNALED(status))
		errx(1, "preparation for command %zu killed by signal %d on "
		    "%s run %ld", idx + 1, WTERMSIG(status), phase, run);
	if (WEXITSTATUS(status) != 0)
		errx(1, "preparation for command %zu exited %d on %s run %ld",
		    idx + 1, WEXITSTATUS(status), phase, run);
}

/*
 * Runs one command once and checks its exit status; returns its wall time
 * in nanoseconds, and its CPU time (with its waited-for descendants') in
 * *cpu.  phase and run only name the run in a message.
 */
static uint64_t
spawn_run(const struct spawn_cmd *c, size_t idx, const char *phase, long run,
    int devnull, uint64_t *cpu)
{
	struct rusage	ru;
	uint64_t	start, end;
	pid_t		pid;
	int		status;

	start = spawn_now();
	switch (pid = fork()) {
	case -1:
		err(2, "fork");
	case 0:
		if (dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1) {
			warn("dup2");
			_exit(127);
		}
		execvp(c->argv[0], c->argv);
		warn("cannot run '%s'", c->argv[0]);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR)
			err(2, "wait4");
	}
	end = spawn_now();
	*cpu = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	    1000000000 + ((uint64_t)ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_usec) * 1000;

	if (WIFSIGNALED(status))
		errx(1, "command %zu ('%s') killed by signal %d on %s run %ld",
		    idx + 1, c->argv[0], WTERMSIG(status), phase, run);
	if (WEXITSTATUS(status) != c->expect)
		errx(1, "command %zu ('%s') exited %d on %s run %ld, "
		    "expected %d", idx + 1, c->argv[0], WEXITSTATUS(status),
		    phase, run, c->expect);
	return (end - start);
}

static int
spawn_compare(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Sorts the n samples; the median averages the two middle ones of an even
 * count.
 */
static double
spawn_median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof v[0], spawn_compare);
	if (n % 2 == 1)
		return ((double)v[n / 2]);
	return (((double)v[n / 2 - 1] + (double)v[n / 2]) / 2);
}

/*
 * The 90th and 99th percentiles are nearest ranks: the smallest sample
 * at or above 90% (99%) of them.
 */
static void
spawn_report(size_t idx, struct spawn_cmd *c, long runs)
{
	double	median, cpu;
	size_t	n = (size_t)runs, p90, p99;

	median = spawn_median(c->ns, n);
	cpu = spawn_median(c->cpu, n);
	p90 = (n * 9 + 9) / 10;		/* ceil(0.9 n), a 1-based rank */
	p99 = (n * 99 + 99) / 100;	/* ceil(0.99 n) */
	printf("%zu %ld %.1f %.1f %.1f %.1f %.1f %.1f\n", idx + 1, runs,
	    median / 1e3, (double)c->ns[p90 - 1] / 1e3,
	    (double)c->ns[0] / 1e3, (double)c->ns[n - 1] / 1e3, cpu / 1e3,
	    (double)c->ns[p99 - 1] / 1e3);
}

int
main(int argc, char **argv)
{
	struct spawn_cmd	*cmds;
	const char		*sep = "--", *prep = NULL;
	char			*expect = NULL;
	size_t			 ncmds, i;
	uint64_t		 cpu;
	long			 runs, warmup = SPAWN_DEFAULT_WARMUP, r;
	int			 ch, devnull;

	/* "+": stop at RUNS, never reorder the commands' arguments. */
	while ((ch = getopt(argc, argv, "+e:p:s:w:")) != -1) {
		switch (ch) {
		case 'e':
			expect = optarg;
			break;
		case 'p':
			prep = optarg;
			break;
		case 's':
			sep = optarg;
			break;
		case 'w':
			warmup = bench_number("warm-up count", optarg, 0,
			    SPAWN_MAX_RUNS);
			break;
		default:
			spawn_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		spawn_usage();
	runs = bench_number("run count", argv[0], 1, SPAWN_MAX_RUNS);
	argc--;
	argv++;
	if (argc < 2 || strcmp(argv[0], sep) != 0)
		spawn_usage();

	/*
	 * Split the rest at each separator, in place: the separator becomes
	 * the NULL that ends the command before it.
	 */
	ncmds = 0;
	for (i = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], sep) == 0) {
			if (i + 1 == (size_t)argc ||
			    strcmp(argv[i + 1], sep) == 0)
				errx(2, "empty command after '%s'", sep);
			ncmds++;
		}
	}
	if ((cmds = calloc(ncmds, sizeof *cmds)) == NULL)
		err(2, "calloc");
	ncmds = 0;
	for (i = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], sep) == 0) {
			argv[i] = NULL;
			cmds[ncmds++].argv = &argv[i + 1];
		}
	}
	spawn_parse_expect(expect, cmds, ncmds);
	for (i = 0; i < ncmds; i++) {
		if ((cmds[i].ns = calloc((size_t)runs, sizeof *cmds[i].ns)) ==
		    NULL || (cmds[i].cpu = calloc((size_t)runs,
		    sizeof *cmds[i].cpu)) == NULL)
			err(2, "calloc");
	}

	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		err(2, "/dev/null");
	for (r = 0; r < warmup; r++) {
		for (i = 0; i < ncmds; i++) {
			if (prep != NULL)
				spawn_prep(prep, i, "warm-up", r + 1, devnull);
			spawn_run(&cmds[i], i, "warm-up", r + 1, devnull,
			    &cpu);
		}
	}
	for (r = 0; r < runs; r++) {
		for (i = 0; i < ncmds; i++) {
			if (prep != NULL)
				spawn_prep(prep, i, "timed", r + 1, devnull);
			cmds[i].ns[r] = spawn_run(&cmds[i], i, "timed",
			    r + 1, devnull, &cmds[i].cpu[r]);
		}
	}

	for (i = 0; i < ncmds; i++) {
		spawn_report(i, &cmds[i], runs);
		free(cmds[i].ns);
		free(cmds[i].cpu);
	}
	free(cmds);
	close(devnull);
	if (fflush(stdout) != 0)
		err(2, "stdout");
	return (0);
}
