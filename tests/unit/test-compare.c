/*
 * Unit tests for client/compare.c: the staleness rules of DESIGN section 3.
 * Where one rule decides, the other rule's facts are set to give the
 * opposite answer, so that a test fails if the wrong rule is applied.
 */
#include <string.h>

#include "compare.h"
#include "unit.h"

static struct compare_fact	 fact_seq(const char *, uint64_t, int64_t);
static struct compare_fact	 fact_mtime(const char *, uint64_t, int64_t);
static struct compare_fact	 fact_missing(const char *, int);
static void			 out_poison(struct compare_dep *, size_t);

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

/* An existing path that the daemon vouches for. */
static struct compare_fact
fact_seq(const char *arg, uint64_t seq, int64_t mtime_ns)
{
	struct compare_fact	f;

	memset(&f, 0, sizeof f);
	f.arg = arg;
	f.rule = COMPARE_SEQ;
	f.exists = 1;
	f.seq = seq;
	f.mtime_ns = mtime_ns;
	return (f);
}

/* An existing path decided by mtime (outside the root, unwatched). */
static struct compare_fact
fact_mtime(const char *arg, uint64_t seq, int64_t mtime_ns)
{
	struct compare_fact	f;

	f = fact_seq(arg, seq, mtime_ns);
	f.rule = COMPARE_MTIME;
	return (f);
}

static struct compare_fact
fact_missing(const char *arg, int rule)
{
	struct compare_fact	f;

	memset(&f, 0, sizeof f);
	f.arg = arg;
	f.rule = rule;
	f.exists = 0;
	return (f);
}

/* Fill out[] with values compare_check never writes. */
static void
out_poison(struct compare_dep *out, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[i].newer = -7;
		out[i].rule = -7;
	}
}

void
compare_seq_older_dep_fresh(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	out[1];

	/* The dep's mtime is newer: only the seq rule says fresh. */
	t = fact_seq("a.o", 100, 1000);
	d[0] = fact_seq("a.c", 99, 5000);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_FRESH);
	CHECK_EQ_INT(out[0].newer, 0);
	CHECK_EQ_INT(out[0].rule, COMPARE_SEQ);
}

void
compare_seq_newer_dep_stale(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	out[1];

	/* The dep's mtime is older: only the seq rule says stale. */
	t = fact_seq("a.o", 100, 5000);
	d[0] = fact_seq("a.c", 101, 1000);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_STALE);
	CHECK_EQ_INT(out[0].newer, 1);
	CHECK_EQ_INT(out[0].rule, COMPARE_SEQ);
}

void
compare_seq_equal_stale(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	out[1];

	t = fact_seq("a.o", 100, 5000);
	d[0] = fact_seq("a.c", 100, 1000);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_STALE);
	CHECK_EQ_INT(out[0].newer, 1);
	CHECK_EQ_INT(out[0].rule, COMPARE_SEQ);
}

void
compare_seq_full_range(void)
{
	struct compare_fact	t, d[1];

	/* Seqs above INT64_MAX still compare as unsigned numbers. */
	t = fact_seq("a.o", 0x8000000000000001ULL, 0);
	d[0] = fact_seq("a.c", 0x8000000000000000ULL, 0);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_FRESH);
	d[0] = fact_seq("a.c", UINT64_MAX, 0);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_STALE);
	d[0] = fact_seq("a.c", 1, 0);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_FRESH);
}

void
compare_missing_target_stale(void)
{
	struct compare_fact	t, d[3];
	struct compare_dep	out[3];
	size_t			i;

	/* Every dep is older by both rules; the target is simply gone. */
	t = fact_missing("a.o", COMPARE_SEQ);
	t.seq = 100;
	t.mtime_ns = 5000;
	d[0] = fact_seq("a.c", 1, 1);
	d[1] = fact_seq("a.h", 2, 2);
	d[2] = fact_mtime("/usr/include/stdio.h", 0, 3);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 3, out), EXIT_STALE);
	for (i = 0; i < NELEM(out); i++)
		CHECK_EQ_INT(out[i].newer, 1);
}

void
compare_missing_dep_trouble(void)
{
	struct compare_fact	t, d[3];
	struct compare_dep	out[3];

	t = fact_seq("a.o", 100, 5000);
	d[0] = fact_seq("a.c", 1, 1);
	d[1] = fact_missing("gen.h", COMPARE_SEQ);
	d[2] = fact_seq("b.h", 2, 2);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 3, out), EXIT_TROUBLE);
	CHECK_EQ_INT(out[0].newer, 0);	/* the others are still judged */
	CHECK_EQ_INT(out[2].newer, 0);

	/* First or last, and with a newer dep beside it: still trouble. */
	d[0] = fact_missing("gen.h", COMPARE_MTIME);
	d[1] = fact_seq("a.c", 200, 1);
	CHECK_EQ_INT(compare_check(&t, d, 3, NULL), EXIT_TROUBLE);
	d[0] = fact_seq("a.c", 200, 1);
	d[2] = fact_missing("gen.h", COMPARE_SEQ);
	CHECK_EQ_INT(compare_check(&t, d, 3, NULL), EXIT_TROUBLE);
}

void
compare_missing_dep_and_target_trouble(void)
{
	struct compare_fact	t, d[2];

	/* A missing dep is an error even when the target is missing too. */
	t = fact_missing("a.o", COMPARE_SEQ);
	d[0] = fact_seq("a.c", 1, 1);
	d[1] = fact_missing("gen.h", COMPARE_SEQ);
	CHECK_EQ_INT(compare_check(&t, d, 2, NULL), EXIT_TROUBLE);
	d[0] = fact_missing("gen.h", COMPARE_SEQ);
	d[1] = fact_seq("a.c", 1, 1);
	CHECK_EQ_INT(compare_check(&t, d, 2, NULL), EXIT_TROUBLE);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_TROUBLE);
}

void
compare_mixed_rule_mtime_decides(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	out[1];

	/* The dep is unwatched: its mtime is newer, its seq older. */
	t = fact_seq("a.o", 100, 1000);
	d[0] = fact_mtime("/usr/include/x.h", 1, 1001);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_STALE);
	CHECK_EQ_INT(out[0].newer, 1);
	CHECK_EQ_INT(out[0].rule, COMPARE_MTIME);

	/* The target is unwatched: its mtime is newer, its seq older. */
	t = fact_mtime("/tmp/a.o", 1, 2000);
	d[0] = fact_seq("a.c", 100, 1999);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_FRESH);
	CHECK_EQ_INT(out[0].newer, 0);
	CHECK_EQ_INT(out[0].rule, COMPARE_MTIME);
}

void
compare_mixed_rule_equal_mtime_stale(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	out[1];

	t = fact_seq("a.o", 100, 1700000000000000000LL);
	d[0] = fact_mtime("/usr/include/x.h", 1, 1700000000000000000LL);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_STALE);
	CHECK_EQ_INT(out[0].newer, 1);
	CHECK_EQ_INT(out[0].rule, COMPARE_MTIME);

	t = fact_mtime("/tmp/a.o", 100, 42);
	d[0] = fact_seq("a.c", 1, 42);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_STALE);
}

void
compare_mixed_rule_older_mtime_fresh(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	out[1];

	/* One nanosecond older is enough; the seqs would say stale. */
	t = fact_seq("a.o", 1, 1700000000000000001LL);
	d[0] = fact_mtime("/usr/include/x.h", 100, 1700000000000000000LL);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 1, out), EXIT_FRESH);
	CHECK_EQ_INT(out[0].newer, 0);
	CHECK_EQ_INT(out[0].rule, COMPARE_MTIME);

	/* Before 1970 too. */
	t = fact_seq("a.o", 1, -5);
	d[0] = fact_mtime("/usr/include/x.h", 100, -6);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_FRESH);
}

void
compare_mtime_both_sides(void)
{
	struct compare_fact	t, d[1];
	struct compare_dep	r;

	t = fact_mtime("/tmp/a.o", 100, 1000);
	d[0] = fact_mtime("/tmp/a.c", 1, 1000);
	r = compare_dep(&t, &d[0]);
	CHECK_EQ_INT(r.newer, 1);
	CHECK_EQ_INT(r.rule, COMPARE_MTIME);
	d[0].mtime_ns = 999;
	r = compare_dep(&t, &d[0]);
	CHECK_EQ_INT(r.newer, 0);
	CHECK_EQ_INT(r.rule, COMPARE_MTIME);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_FRESH);
}

void
compare_one_newer_dep_marked(void)
{
	struct compare_fact	t, d[4];
	struct compare_dep	out[4];

	t = fact_seq("a.o", 100, 1000);
	d[0] = fact_seq("a.c", 10, 900);
	d[1] = fact_seq("a.h", 50, 900);
	d[2] = fact_seq("gen.h", 150, 900);
	d[3] = fact_mtime("/usr/include/x.h", 0, 900);
	out_poison(out, NELEM(out));
	CHECK_EQ_INT(compare_check(&t, d, 4, out), EXIT_STALE);
	CHECK_EQ_INT(out[0].newer, 0);
	CHECK_EQ_INT(out[1].newer, 0);
	CHECK_EQ_INT(out[2].newer, 1);
	CHECK_EQ_INT(out[3].newer, 0);
	CHECK_EQ_INT(out[2].rule, COMPARE_SEQ);
	CHECK_EQ_INT(out[3].rule, COMPARE_MTIME);

	/* Without gen.h the same target is fresh. */
	d[2] = fact_seq("gen.h", 99, 900);
	CHECK_EQ_INT(compare_check(&t, d, 4, NULL), EXIT_FRESH);
}

void
compare_no_deps_fresh(void)
{
	struct compare_fact	t, d[1];

	t = fact_seq("a.o", 100, 1000);
	d[0] = fact_missing("never-read", COMPARE_SEQ);	/* n is 0 */
	CHECK_EQ_INT(compare_check(&t, d, 0, NULL), EXIT_FRESH);
	t = fact_mtime("/tmp/a.o", 0, 1000);
	CHECK_EQ_INT(compare_check(&t, NULL, 0, NULL), EXIT_FRESH);
}

void
compare_no_deps_missing_target_stale(void)
{
	struct compare_fact	t;

	t = fact_missing("a.o", COMPARE_SEQ);
	CHECK_EQ_INT(compare_check(&t, NULL, 0, NULL), EXIT_STALE);
}

void
compare_out_may_be_null(void)
{
	struct compare_fact	t, d[2];
	struct compare_dep	out[2];

	t = fact_seq("a.o", 100, 1000);
	d[0] = fact_seq("a.c", 1, 1);
	d[1] = fact_seq("a.h", 101, 1);
	CHECK_EQ_INT(compare_check(&t, d, 2, NULL), EXIT_STALE);
	CHECK_EQ_INT(compare_check(&t, d, 2, out), EXIT_STALE);
	CHECK_EQ_INT(compare_check(&t, d, 1, NULL), EXIT_FRESH);
}

/*
 * A recorded build (depcheck run): the target was written at seq 20 by a
 * recipe that started at seq 10.  A dependency written at seq 15, while
 * the recipe ran (after the compiler read it), leaves the target stale,
 * though the target's own seq is higher.
 */
void
compare_built_from_dep_written_during_recipe_stale(void)
{
	struct compare_fact	t = fact_seq("t.o", 20, 5000);
	struct compare_fact	d = fact_seq("t.c", 15, 9000);
	struct compare_dep	out[1];

	t.built_from = 10;
	CHECK_EQ_UINT(compare_target_seq(&t), 10);
	CHECK_EQ_INT(compare_check(&t, &d, 1, out), EXIT_STALE);
	CHECK_EQ_INT(out[0].newer, 1);
	CHECK_EQ_INT(out[0].rule, COMPARE_SEQ);
	d.seq = 10;			/* at the recipe's start: stale too */
	CHECK_EQ_INT(compare_check(&t, &d, 1, out), EXIT_STALE);
	t.built_from = 0;		/* without the record: fresh */
	d.seq = 15;
	CHECK_EQ_INT(compare_check(&t, &d, 1, out), EXIT_FRESH);
}

void
compare_built_from_dep_before_recipe_fresh(void)
{
	struct compare_fact	t = fact_seq("t.o", 20, 1000);
	struct compare_fact	d = fact_seq("t.c", 9, 9000);
	struct compare_dep	out[1];

	t.built_from = 10;
	CHECK_EQ_INT(compare_check(&t, &d, 1, out), EXIT_FRESH);
	CHECK_EQ_INT(out[0].newer, 0);
}

/* A build that started after the target's last write says nothing. */
void
compare_built_from_later_than_target_ignored(void)
{
	struct compare_fact	t = fact_seq("t.o", 20, 1000);
	struct compare_fact	d = fact_seq("t.c", 19, 1000);

	t.built_from = 30;
	CHECK_EQ_UINT(compare_target_seq(&t), 20);
	CHECK_EQ_INT(compare_check(&t, &d, 1, NULL), EXIT_FRESH);
	d.seq = 20;
	CHECK_EQ_INT(compare_check(&t, &d, 1, NULL), EXIT_STALE);
}

/* The recorded build is a seq fact: mtime comparisons ignore it. */
void
compare_built_from_mtime_rule_unaffected(void)
{
	struct compare_fact	t = fact_seq("t.o", 20, 5000);
	struct compare_fact	d = fact_mtime("/x/t.c", 15, 4000);
	struct compare_dep	out[1];

	t.built_from = 10;
	CHECK_EQ_INT(compare_check(&t, &d, 1, out), EXIT_FRESH);
	CHECK_EQ_INT(out[0].rule, COMPARE_MTIME);
}

/* Found by the first crawl, never written since (issue 14). */
static struct compare_fact
fact_first(const char *arg, uint64_t seq, int64_t mtime_ns)
{
	struct compare_fact	f;

	f = fact_seq(arg, seq, mtime_ns);
	f.first = 1;
	return (f);
}

/* Both first seen: mtimes decide, whatever the seqs (ctime order) say. */
void
compare_first_sight_mtime_decides(void)
{
	struct compare_fact	t, d;
	struct compare_dep	r;

	/* A copy's ctimes put the object first: by seq, stale. */
	t = fact_first("obj.o", 5, 200);
	d = fact_first("src.c", 9, 100);
	r = compare_dep(&t, &d);
	CHECK_EQ_INT(r.rule, COMPARE_FIRST);
	CHECK_EQ_INT(r.newer, 0);
	/* Equal mtimes: stale, both ways. */
	d.mtime_ns = 200;
	CHECK_EQ_INT(compare_dep(&t, &d).newer, 1);
	CHECK_EQ_INT(compare_dep(&d, &t).newer, 1);
	/* Seqs say fresh, mtimes stale: the mtimes. */
	t = fact_first("obj.o", 9, 100);
	d = fact_first("src.c", 5, 200);
	CHECK_EQ_INT(compare_dep(&t, &d).newer, 1);
}

/* One side seen written: seqs decide, as ever. */
void
compare_first_sight_against_written(void)
{
	struct compare_fact	t, d;
	struct compare_dep	r;

	t = fact_first("obj.o", 5, 900);
	d = fact_seq("src.c", 9, 100);		/* written while watched */
	r = compare_dep(&t, &d);
	CHECK_EQ_INT(r.rule, COMPARE_SEQ);
	CHECK_EQ_INT(r.newer, 1);
	t = fact_seq("obj.o", 9, 100);		/* rebuilt while watched */
	d = fact_first("src.c", 5, 900);
	r = compare_dep(&t, &d);
	CHECK_EQ_INT(r.rule, COMPARE_SEQ);
	CHECK_EQ_INT(r.newer, 0);
}
