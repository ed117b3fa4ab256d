/*
 * libFuzzer target: the depfile reader (client/depfile.c).  Whatever the
 * bytes, depfile_parse must not crash, and what it reads must read back:
 * every target has prerequisites, no name is empty, and the rules written
 * out again the way gcc escapes names parse to the same targets and
 * prerequisites (for names an escape can express: no line ends, tabs,
 * ':' or '|').
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "depfile.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Can gcc's escapes write name so that it reads back the same? */
static int
fuzz_expressible(const char *name)
{
	return (strpbrk(name, "\n\r\t\f\v:|") == NULL);
}

struct out {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
out_put(struct out *o, char c)
{
	if (o->len + 1 >= o->cap) {
		o->cap = o->cap == 0 ? 256 : o->cap * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	o->p[o->len++] = c;
}

/*
 * name as gcc writes it: "\\ ", "\\#", "$$", and a run of backslashes
 * before a space, a '#' or the name's end doubled.
 */
static void
out_name(struct out *o, const char *name)
{
	const char	*s;
	size_t		 k, i;

	for (s = name; *s != '\0'; s++) {
		if (*s == '\\') {
			for (k = 0; s[k] == '\\'; k++)
				;
			/* Before a space, '#' or the end: doubled. */
			if (s[k] == ' ' || s[k] == '#' || s[k] == '\0')
				k *= 2;
			for (i = 0; i < k; i++)
				out_put(o, '\\');
			while (s[1] == '\\')
				s++;
			continue;
		}
		if (*s == ' ' || *s == '#')
			out_put(o, '\\');
		if (*s == '$')
			out_put(o, '$');
		out_put(o, *s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct depfile	 df, again;
	struct out	 o;
	char		*cause = NULL;
	size_t		 i, j;
	int		 all = 1;

	depfile_init(&df);
	if (depfile_parse(&df, (const char *)data, size, "fuzz", &cause) !=
	    0) {
		if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0)
			abort();
		free(cause);
		depfile_free(&df);
		return (0);
	}
	memset(&o, 0, sizeof o);
	for (i = 0; i < df.ntargets; i++) {
		if (df.targets[i].ndeps == 0 || *df.targets[i].name == '\0')
			abort();
		all &= fuzz_expressible(df.targets[i].name);
		out_name(&o, df.targets[i].name);
		out_put(&o, ' ');	/* the doubled backslashes end it */
		out_put(&o, ':');
		for (j = 0; j < df.targets[i].ndeps; j++) {
			if (*df.targets[i].deps[j] == '\0')
				abort();
			all &= fuzz_expressible(df.targets[i].deps[j]);
			out_put(&o, ' ');
			out_name(&o, df.targets[i].deps[j]);
		}
		out_put(&o, ' ');
		out_put(&o, '\n');
	}
	if (all) {
		depfile_init(&again);
		if (depfile_parse(&again, o.p, o.len, "again", &cause) != 0)
			abort();
		if (again.ntargets != df.ntargets)
			abort();
		for (i = 0; i < df.ntargets; i++) {
			if (strcmp(again.targets[i].name, df.targets[i].name) != 0 ||
			    again.targets[i].ndeps != df.targets[i].ndeps)
				abort();
			for (j = 0; j < df.targets[i].ndeps; j++) {
				if (strcmp(again.targets[i].deps[j],
				    df.targets[i].deps[j]) != 0)
					abort();
			}
		}
		depfile_free(&again);
	}
	free(o.p);
	depfile_free(&df);
	return (0);
}
