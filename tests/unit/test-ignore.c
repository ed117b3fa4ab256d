/*
 * Unit tests for daemon/ignore.c: state directories at any depth, and
 * --ignore globs against the path, its base name, and the directories
 * above it.
 */
#include <stddef.h>

#include "ignore.h"
#include "unit.h"

void
ignore_statedir_any_depth(void)
{
	CHECK(ignore_match(NULL, ".depcheck"));
	CHECK(ignore_match(NULL, ".depcheck/state.db"));
	CHECK(ignore_match(NULL, "sub/.depcheck"));
	CHECK(ignore_match(NULL, "a/b/.depcheck/cookies/1"));
	CHECK(!ignore_match(NULL, ".depcheckrc"));
	CHECK(!ignore_match(NULL, "a/.depcheck2/x"));
	CHECK(!ignore_match(NULL, "a/x.depcheck"));
	CHECK(!ignore_match(NULL, ""));
}

void
ignore_no_globs(void)
{
	char	*none[] = { NULL };

	CHECK(!ignore_match(NULL, "build/a.o"));
	CHECK(!ignore_match(none, "build/a.o"));
	CHECK(ignore_match(none, ".depcheck/log"));
}

void
ignore_glob_base_name(void)
{
	char	*globs[] = { "*.o", NULL }, *exact[] = { "a.?", NULL };

	/* Not the whole path: only its base name matches. */
	CHECK(ignore_match(exact, "src/lib/a.o"));
	CHECK(!ignore_match(exact, "src/lib/b.o"));
	CHECK(ignore_match(globs, "a.o"));
	CHECK(ignore_match(globs, "src/lib/a.o"));
	CHECK(!ignore_match(globs, "src/lib/a.c"));
	CHECK(!ignore_match(globs, "src/a.out"));
}

void
ignore_glob_covers_below(void)
{
	char	*globs[] = { "build", NULL };

	CHECK(ignore_match(globs, "build"));
	CHECK(ignore_match(globs, "build/a/b.o"));
	CHECK(ignore_match(globs, "src/build/x.o"));
	CHECK(!ignore_match(globs, "builder/x.o"));
	CHECK(!ignore_match(globs, "src/rebuild"));
}

void
ignore_glob_relpath(void)
{
	char	*globs[] = { "tmp", "src/gen", NULL };

	CHECK(ignore_match(globs, "src/gen/x.c"));
	CHECK(ignore_match(globs, "src/gen"));
	CHECK(!ignore_match(globs, "gen/x.c"));
	CHECK(!ignore_match(globs, "src/generated/x.c"));
	CHECK(ignore_match(globs, "a/tmp/b"));	/* the second glob too */
}
