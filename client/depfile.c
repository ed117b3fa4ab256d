/*
 * The depfile reader (see depfile.h).  A scanner turns the bytes into
 * names, ':' and '|' and line ends (a backslash before a newline joins
 * two lines); depfile_parse() turns each logical line into a rule.  The
 * escapes are those gcc writes and ninja reads: every byte of a file
 * name survives, spaces, '#' and '$' included.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "depfile.h"

enum tok { TOK_END, TOK_EOL, TOK_NAME, TOK_COLON, TOK_PIPE };

struct scan {
	const char	*p;
	size_t		 len;
	size_t		 i;
	unsigned long	 line;		/* of p[i], from 1 */
	char		*name;		/* TOK_NAME: the name, unescaped */
	size_t		 nlen;
	size_t		 ncap;
	const char	*err;		/* why the scan stopped */
};

static void
scan_put(struct scan *s, char c)
{
	if (s->nlen + 2 > s->ncap) {
		s->ncap = s->ncap == 0 ? 64 : s->ncap * 2;
		s->name = xrealloc(s->name, s->ncap);
	}
	s->name[s->nlen++] = c;
	s->name[s->nlen] = '\0';
}

static int
scan_at(const struct scan *s, size_t i)
{
	return (i < s->len ? (unsigned char)s->p[i] : -1);
}

/* Does a ':' at i end the targets (not a drive letter's "c:/")? */
static int
scan_colon_ends(const struct scan *s, size_t i)
{
	int	c = scan_at(s, i + 1);

	return (c == -1 || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == ':');
}

/* Is there a line end (\n or \r\n) at i?  Its length, else 0. */
static size_t
scan_eol_at(const struct scan *s, size_t i)
{
	if (scan_at(s, i) == '\n')
		return (1);
	if (scan_at(s, i) == '\r' && scan_at(s, i + 1) == '\n')
		return (2);
	return (0);
}

/* A name from s->i on; it ends at a blank, a line end, '#' or a ':'. */
static void
scan_name(struct scan *s)
{
	size_t	k, j, n;
	int	c;

	s->nlen = 0;
	scan_put(s, '\0');
	s->nlen = 0;
	for (;;) {
		c = scan_at(s, s->i);
		if (c == -1 || c == '\0' || c == ' ' || c == '\t' ||
		    c == '\n' || c == '#' || (c == '\r' &&
		    scan_eol_at(s, s->i)) ||
		    (c == ':' && scan_colon_ends(s, s->i)))
			return;
		if (c == '\\') {
			for (k = 0; scan_at(s, s->i + k) == '\\'; k++)
				;
			j = s->i + k;
			c = scan_at(s, j);
			if (c == ' ' || c == '#') {
				for (n = 0; n < k / 2; n++)
					scan_put(s, '\\');
				s->i = j;
				if (k % 2 == 0)
					return;		/* ends the name */
				scan_put(s, (char)c);
				s->i++;
				continue;
			}
			if (scan_eol_at(s, j)) {
				/* The last backslash joins the lines. */
				for (n = 0; n < k - 1; n++)
					scan_put(s, '\\');
				s->i = j - 1;
				return;
			}
			for (n = 0; n < k; n++)
				scan_put(s, '\\');
			s->i = j;
			continue;
		}
		if (c == '$' && scan_at(s, s->i + 1) == '$')
			s->i++;
		scan_put(s, (char)c);
		s->i++;
	}
}

static enum tok
scan_next(struct scan *s)
{
	size_t	n;
	int	c;

	for (;;) {
		c = scan_at(s, s->i);
		if (c == -1)
			return (TOK_END);
		if (c == '\0') {
			s->err = "a NUL byte (not a depfile)";
			return (TOK_END);
		}
		if (c == '\\' && (n = scan_eol_at(s, s->i + 1)) != 0) {
			s->i += 1 + n;		/* a continued line */
			s->line++;
			continue;
		}
		if ((n = scan_eol_at(s, s->i)) != 0) {
			s->i += n;
			s->line++;
			return (TOK_EOL);
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v') {
			s->i++;
			continue;
		}
		if (c == '#') {		/* a comment, to the line's end */
			while (scan_at(s, s->i) != -1 && scan_at(s, s->i) !=
			    '\n')
				s->i++;
			continue;
		}
		if (c == ':' && scan_colon_ends(s, s->i)) {
			s->i++;
			return (TOK_COLON);
		}
		if (c == '|' && scan_colon_ends(s, s->i)) {
			s->i++;
			return (TOK_PIPE);
		}
		n = s->i;
		scan_name(s);
		if (s->nlen > 0)
			return (TOK_NAME);
		if (s->i == n)
			s->i++;		/* no name here: never stand still */
	}
}

void
depfile_init(struct depfile *df)
{
	memset(df, 0, sizeof *df);
}

void
depfile_free(struct depfile *df)
{
	size_t	i, j;

	for (i = 0; i < df->ntargets; i++) {
		for (j = 0; j < df->targets[i].ndeps; j++)
			free(df->targets[i].deps[j]);
		free(df->targets[i].deps);
		free(df->targets[i].name);
	}
	free(df->targets);
	depfile_init(df);
}

static struct depfile_target *
depfile_target(struct depfile *df, const char *name)
{
	struct depfile_target	*t;
	size_t			 i;

	for (i = 0; i < df->ntargets; i++) {
		if (strcmp(df->targets[i].name, name) == 0)
			return (&df->targets[i]);
	}
	if (df->ntargets == df->cap) {
		df->cap = df->cap == 0 ? 16 : df->cap * 2;
		df->targets = xreallocarray(df->targets, df->cap,
		    sizeof *df->targets);
	}
	t = &df->targets[df->ntargets++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	return (t);
}

static void
depfile_add_dep(struct depfile_target *t, const char *dep)
{
	size_t	i;

	/* A target named again (the same depfile twice): once each. */
	for (i = 0; i < t->ndeps; i++) {
		if (strcmp(t->deps[i], dep) == 0)
			return;
	}
	if (t->ndeps == t->cap) {
		t->cap = t->cap == 0 ? 16 : t->cap * 2;
		t->deps = xreallocarray(t->deps, t->cap, sizeof *t->deps);
	}
	t->deps[t->ndeps++] = xstrdup(dep);
}

/* The words of one logical line: targets, then prerequisites. */
struct rule {
	char		**words;
	size_t		  n;
	size_t		  cap;
	size_t		  ntargets;	/* words before the ':' */
	int		  colon;
	int		  order_only;	/* past a '|': not kept */
	unsigned long	  line;		/* where it began */
};

static void
rule_add(struct rule *r, const char *w)
{
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->words = xreallocarray(r->words, r->cap, sizeof *r->words);
	}
	r->words[r->n++] = xstrdup(w);
}

static void
rule_clear(struct rule *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->words[i]);
	r->n = r->ntargets = 0;
	r->colon = r->order_only = 0;
}

/* A logical line ended: -1 with *why if it is not a rule. */
static int
rule_end(struct depfile *df, struct rule *r, const char **why)
{
	size_t	i, j;

	if (r->n == 0 && !r->colon)
		return (0);		/* blank or a comment */
	if (!r->colon) {
		*why = "missing ':' after the targets";
		return (-1);
	}
	for (i = 0; r->n > r->ntargets && i < r->ntargets; i++) {
		struct depfile_target	*t = depfile_target(df, r->words[i]);

		for (j = r->ntargets; j < r->n; j++)
			depfile_add_dep(t, r->words[j]);
	}
	rule_clear(r);
	return (0);
}

int
depfile_parse(struct depfile *df, const char *buf, size_t len,
    const char *name, char **cause)
{
	struct scan	 s;
	struct rule	 r;
	const char	*why = NULL;
	unsigned long	 line = 1;
	enum tok	 t;
	int		 rc = 0;

	memset(&s, 0, sizeof s);
	memset(&r, 0, sizeof r);
	s.p = buf;
	s.len = len;
	s.line = 1;
	r.line = 1;
	for (;;) {
		line = s.line;
		t = scan_next(&s);
		if (s.err != NULL) {
			why = s.err;
			line = s.line;
			break;
		}
		if (t == TOK_END || t == TOK_EOL) {
			if (rule_end(df, &r, &why) != 0) {
				line = r.line;
				break;
			}
			if (t == TOK_END)
				break;
			r.line = s.line;
			continue;
		}
		if (r.n == 0 && !r.colon)
			r.line = line;
		if (t == TOK_COLON) {
			if (r.colon) {
				why = "a second ':' (not a depfile rule)";
				break;
			}
			if (r.n == 0) {
				why = "no target before ':'";
				break;
			}
			r.colon = 1;
			r.ntargets = r.n;
		} else if (t == TOK_PIPE) {
			if (!r.colon) {
				why = "'|' before the ':'";
				break;
			}
			r.order_only = 1;
		} else if (!r.order_only)
			rule_add(&r, s.name);
	}
	if (why != NULL) {
		xasprintf(cause, "%s:%lu: %s", name, line, why);
		rc = -1;
	}
	rule_clear(&r);
	free(r.words);
	free(s.name);
	return (rc);
}
