/*
 * The depfile reader (client/depfile.c): what gcc, clang and ninja write,
 * and the malformed files it must refuse with FILE:LINE.
 */
#include <stdlib.h>
#include <string.h>

#include "depfile.h"
#include "unit.h"

static int
parse(struct depfile *df, const char *text, char **cause)
{
	*cause = NULL;
	return (depfile_parse(df, text, strlen(text), "t.d", cause));
}

void
depfile_gcc_md_mp(void)
{
	struct depfile	 df;
	char		*cause;

	depfile_init(&df);
	CHECK_EQ_INT(parse(&df, "m.o: m.c /usr/include/stdc-predef.h a\\ b.h \\\n"
	    " x.h\n\n/usr/include/stdc-predef.h:\n\na\\ b.h:\n\nx.h:\n",
	    &cause), 0);
	/* -MP's phony header rules add no target. */
	CHECK_EQ_UINT(df.ntargets, 1);
	CHECK_EQ_STR(df.targets[0].name, "m.o");
	CHECK_EQ_UINT(df.targets[0].ndeps, 4);
	CHECK_EQ_STR(df.targets[0].deps[2], "a b.h");
	CHECK_EQ_STR(df.targets[0].deps[3], "x.h");
	depfile_free(&df);
}

void
depfile_escapes(void)
{
	struct depfile	 df;
	char		*cause;

	depfile_init(&df);
	CHECK_EQ_INT(parse(&df, "a.o b.o: y\\#1.h $$z.h c:/w/x.h \\\\srv\\s.h"
	    " | order.h\r\nc\\\\\\ d.o: e\\\\ f # a comment\n", &cause), 0);
	CHECK_EQ_UINT(df.ntargets, 3);
	CHECK_EQ_STR(df.targets[0].name, "a.o");
	CHECK_EQ_STR(df.targets[1].name, "b.o");
	CHECK_EQ_UINT(df.targets[1].ndeps, 4);		/* not order.h */
	CHECK_EQ_STR(df.targets[1].deps[0], "y#1.h");
	CHECK_EQ_STR(df.targets[1].deps[1], "$z.h");
	CHECK_EQ_STR(df.targets[1].deps[2], "c:/w/x.h");
	CHECK_EQ_STR(df.targets[1].deps[3], "\\\\srv\\s.h");
	/* 3 backslashes and a space: one backslash and a space. */
	CHECK_EQ_STR(df.targets[2].name, "c\\ d.o");
	/* 2 and a space: one backslash, and the name ends. */
	CHECK_EQ_UINT(df.targets[2].ndeps, 2);
	CHECK_EQ_STR(df.targets[2].deps[0], "e\\");
	CHECK_EQ_STR(df.targets[2].deps[1], "f");
	depfile_free(&df);
}

void
depfile_targets_merge(void)
{
	struct depfile	 df;
	char		*cause;

	depfile_init(&df);
	CHECK_EQ_INT(parse(&df, "x.o: x.c\n", &cause), 0);
	CHECK_EQ_INT(parse(&df, "x.o: x.h\ny.o: y.c\n", &cause), 0);
	/* The same depfile twice: each prerequisite once. */
	CHECK_EQ_INT(parse(&df, "x.o: x.c x.h\n", &cause), 0);
	CHECK_EQ_UINT(df.ntargets, 2);
	CHECK_EQ_UINT(df.targets[0].ndeps, 2);
	CHECK_EQ_STR(df.targets[0].deps[1], "x.h");
	depfile_free(&df);
}

void
depfile_malformed(void)
{
	static const struct {
		const char	*text;
		const char	*cause;
	} bad[] = {
		{ "foo.o foo.c\n", "t.d:1: missing ':' after the targets" },
		{ "a: b\n\n: c\n", "t.d:3: no target before ':'" },
		{ "a: b \\\n c: d\n", "t.d:2: a second ':' (not a depfile rule)" },
		{ "a | b: c\n", "t.d:1: '|' before the ':'" },
	};
	struct depfile	 df;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		depfile_init(&df);
		CHECK_EQ_INT(parse(&df, bad[i].text, &cause), -1);
		CHECK_EQ_STR(cause, bad[i].cause);
		free(cause);
		depfile_free(&df);
	}
	depfile_init(&df);
	CHECK_EQ_INT(depfile_parse(&df, "a: b\0c\n", 7, "t.d", &cause), -1);
	CHECK_EQ_STR(cause, "t.d:1: a NUL byte (not a depfile)");
	free(cause);
	depfile_free(&df);
}
