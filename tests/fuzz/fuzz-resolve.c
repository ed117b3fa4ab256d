/*
 * libFuzzer target: the client's path resolution, against a small tree
 * with symlinks (in, out and looping) made at start-up.  Whatever the
 * argument, resolve_path must not crash, and a relpath it hands the
 * daemon must be one the daemon accepts (canonical, under the root, never
 * in .depcheck/).
 */
#include <sys/stat.h>

#include <ftw.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "resolve.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static char	root[PATH_MAX];

static int
fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* Remove the tree when libFuzzer exits. */
static void
fuzz_cleanup(void)
{
	if (chdir("/") == 0)
		nftw(root, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	tmpl[] = "/tmp/depcheck-fuzz.XXXXXX", real[PATH_MAX];

	(void)argc;
	(void)argv;
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, real) == NULL)
		abort();
	snprintf(root, sizeof root, "%s", real);
	atexit(fuzz_cleanup);
	if (chdir(root) != 0 || mkdir("a", 0700) != 0 ||
	    mkdir("a/b", 0700) != 0 || mkdir(".depcheck", 0700) != 0 ||
	    symlink("a/b", "in") != 0 || symlink("/etc", "out") != 0 ||
	    symlink("loop", "loop") != 0 || symlink("nowhere", "dangle") != 0 ||
	    symlink("..", "a/up") != 0)
		abort();
	fclose(fopen("a/b/f", "w"));
	if (chdir("a") != 0)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolved	 r;
	struct pbuf	 b;
	const uint8_t	*paths[1];
	uint32_t	 lens[1], flags;
	const char	*why;
	char		*arg, *cause, *rels[1];
	size_t		 rootlen = strlen(root);

	if (size > 2 * PATH_MAX)
		return (0);
	arg = xstrndup((const char *)data, size);	/* stops at a NUL */
	if (resolve_path(root, arg, &r, &cause) != 0) {
		free(cause);
		free(arg);
		return (0);
	}
	if (r.abs[0] != '/')
		abort();
	if (r.rel != NULL) {
		if (strncmp(r.abs, root, rootlen) != 0)
			abort();
		if (strncmp(r.rel, ".depcheck", 9) == 0 &&
		    (r.rel[9] == '\0' || r.rel[9] == '/'))
			abort();
		rels[0] = r.rel;
		pbuf_init(&b);
		if (proto_pack_query(&b, 0, rels, 1) != 0 ||
		    proto_unpack_query(b.data + PROTO_HDR_LEN,
		    b.len - PROTO_HDR_LEN, &flags, paths, lens, &why) != 1)
			abort();	/* the daemon would reject it */
		pbuf_free(&b);
	}
	resolve_free(&r);
	free(arg);
	return (0);
}
