/*
 * The comparison rules (DESIGN section 3, "Up to date").  Called by
 * cmd-check.c once every path's facts are known.
 */
#include <stddef.h>
#include <stdint.h>

#include "compare.h"

uint64_t
compare_target_seq(const struct compare_fact *t)
{
	if (t->built_from != 0 && t->built_from < t->seq)
		return (t->built_from);
	return (t->seq);
}

struct compare_dep
compare_dep(const struct compare_fact *t, const struct compare_fact *d)
{
	struct compare_dep	r;

	if (t->rule == COMPARE_SEQ && d->rule == COMPARE_SEQ && t->first &&
	    d->first) {
		/*
		 * Nobody saw either written: their order is what their
		 * mtimes say, as for make (issue 14), but equal is stale.
		 */
		r.rule = COMPARE_FIRST;
		r.newer = d->mtime_ns >= t->mtime_ns;
	} else if (t->rule == COMPARE_SEQ && d->rule == COMPARE_SEQ) {
		r.rule = COMPARE_SEQ;
		r.newer = d->seq >= compare_target_seq(t);
	} else {
		r.rule = COMPARE_MTIME;
		r.newer = d->mtime_ns >= t->mtime_ns;
	}
	return (r);
}

int
compare_check(const struct compare_fact *t, const struct compare_fact *deps,
    int n, struct compare_dep *out)
{
	struct compare_dep	r;
	int			i, verdict = EXIT_FRESH, missing = 0;

	for (i = 0; i < n; i++) {
		if (!deps[i].exists) {
			missing = 1;
			r.newer = 1;
			r.rule = deps[i].rule;
		} else if (!t->exists) {
			r.newer = 1;
			r.rule = t->rule;
		} else
			r = compare_dep(t, &deps[i]);
		if (r.newer)
			verdict = EXIT_STALE;
		if (out != NULL)
			out[i] = r;
	}
	if (missing)
		return (EXIT_TROUBLE);
	if (!t->exists)
		return (EXIT_STALE);
	return (verdict);
}
