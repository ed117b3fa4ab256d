/*
 * kcc: the stand-in compiler of the kbuild-sized tree in tests/bench/run
 * (row 7).  Writes the concatenation of its inputs to OUT, as a compiler
 * writes an object or ar an archive, at the cost of one small process:
 *
 *	kcc -o OUT IN...
 *
 * The bench links it statically where the C library allows, so that the
 * untimed full build of 20,000 targets costs a fork and an exec per
 * target and little else.  Exit status: 0 done, 1 an input or OUT failed,
 * 2 usage.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define KCC_BUF		65536

static void	 kcc_usage(void) __attribute__((__noreturn__));
static void	 kcc_copy(int, const char *, const char *);

static void
kcc_usage(void)
{
	errx(2, "usage: kcc -o OUT IN...");
}

/* Appends the file in to fd out (named outname in a message). */
static void
kcc_copy(int out, const char *outname, const char *in)
{
	static char	 buf[KCC_BUF];
	ssize_t		 n, w, off;
	int		 fd;

	if ((fd = open(in, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "cannot open '%s'", in);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "cannot read '%s'", in);
		}
		for (off = 0; off < n; off += w) {
			if ((w = write(out, buf + off, (size_t)(n - off))) ==
			    -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				err(1, "cannot write '%s'", outname);
			}
		}
	}
	close(fd);
}

int
main(int argc, char **argv)
{
	int	i, out;

	if (argc < 4 || strcmp(argv[1], "-o") != 0)
		kcc_usage();
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (out == -1)
		err(1, "cannot create '%s'", argv[2]);
	for (i = 3; i < argc; i++)
		kcc_copy(out, argv[2], argv[i]);
	if (close(out) == -1)
		err(1, "cannot write '%s'", argv[2]);
	return (0);
}
