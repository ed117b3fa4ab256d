/*
 * writer: writes files for tests/bench/scale, as a build writes them.
 *
 *	writer DIR COUNT [DIRFILES]	write COUNT new files as fast as it can,
 *					DIRFILES (default 100) to a directory:
 *					DIR/w0000/f0 .. , then exit 0
 *	writer -r RATE DIR COUNT	rewrite DIR/fN, N from 0 to COUNT-1 and
 *					round again, RATE files a second, until
 *					SIGTERM; then print how many files it
 *					wrote in how many seconds (exit 0)
 *
 * Each file is an open(O_CREAT|O_TRUNC), a write of one line and a close:
 * what a compiler does to its output.  Directories are made as needed.
 *
 * Exit status: 0 done, 1 a write failed, 2 usage.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "number.h"

#define WRITER_TICK_NS	1000000		/* -r: one batch a millisecond */

static volatile sig_atomic_t	 writer_stop;

static void	 writer_usage(void) __attribute__((__noreturn__));
static void	 writer_file(const char *, long);
static void	 writer_term(int);
static int	 writer_burst(const char *, long, long);
static int	 writer_rate(const char *, long, long);

static void
writer_usage(void)
{
	fprintf(stderr, "usage: writer DIR COUNT [DIRFILES]\n"
	    "       writer -r RATE DIR COUNT\n");
	exit(2);
}

static void
writer_file(const char *path, long n)
{
	char	line[32];
	int	fd, len;

	if ((fd = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644)) == -1)
		err(1, "cannot open '%s'", path);
	len = snprintf(line, sizeof line, "%ld\n", n);
	if (write(fd, line, (size_t)len) != len)
		err(1, "cannot write '%s'", path);
	if (close(fd) == -1)
		err(1, "cannot close '%s'", path);
}

static void
writer_term(int sig)
{
	(void)sig;
	writer_stop = 1;
}

static int
writer_burst(const char *dir, long count, long dirfiles)
{
	char	path[4096];
	long	i;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		err(1, "cannot make '%s'", dir);
	for (i = 0; i < count; i++) {
		if (i % dirfiles == 0) {
			snprintf(path, sizeof path, "%s/w%04ld", dir,
			    i / dirfiles);
			if (mkdir(path, 0755) == -1 && errno != EEXIST)
				err(1, "cannot make '%s'", path);
		}
		snprintf(path, sizeof path, "%s/w%04ld/f%ld", dir,
		    i / dirfiles, i % dirfiles);
		writer_file(path, i);
	}
	return (0);
}

/*
 * Batches on an absolute clock: a tick that ran late is caught up by the
 * next, so the rate holds on average on a loaded machine.
 */
static int
writer_rate(const char *dir, long rate, long count)
{
	struct timespec	 start, next, end;
	char		 path[4096];
	long		 i = 0, due, tick = 0;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		err(1, "cannot make '%s'", dir);
	if (clock_gettime(CLOCK_MONOTONIC, &next) == -1)
		err(2, "clock_gettime");
	start = next;
	while (!writer_stop) {
		tick++;
		due = tick * rate / 1000;
		for (; i < due && !writer_stop; i++) {
			snprintf(path, sizeof path, "%s/f%ld", dir, i % count);
			writer_file(path, i);
		}
		next.tv_nsec += WRITER_TICK_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
		    NULL) == EINTR && !writer_stop)
			;
	}
	if (clock_gettime(CLOCK_MONOTONIC, &end) == -1)
		err(2, "clock_gettime");
	printf("%ld %.3f\n", i, (double)(end.tv_sec - start.tv_sec) +
	    (double)(end.tv_nsec - start.tv_nsec) / 1e9);
	return (0);
}

int
main(int argc, char **argv)
{
	struct sigaction	sa;
	long			rate = 0;
	int			ch;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		switch (ch) {
		case 'r':
			rate = bench_number("rate", optarg, 1, 10000000);
			break;
		default:
			writer_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (rate != 0) {
		if (argc != 2)
			writer_usage();
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = writer_term;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		return (writer_rate(argv[0], rate,
		    bench_number("count", argv[1], 1, 100000000)));
	}
	if (argc != 2 && argc != 3)
		writer_usage();
	return (writer_burst(argv[0],
	    bench_number("count", argv[1], 0, 100000000),
	    argc == 3 ? bench_number("files a directory", argv[2], 1,
	    1000000) : 100));
}
