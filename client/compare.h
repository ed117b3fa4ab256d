/*
 * The comparison rules of DESIGN section 3: is a target older than its
 * dependencies?  Pure functions over facts gathered by cmd-check.c, so the
 * rules are unit-tested without a daemon (tests/unit/test-compare.c).
 */
#ifndef COMPARE_H
#define COMPARE_H

#include <stdint.h>

#define EXIT_FRESH	0
#define EXIT_STALE	1
#define EXIT_TROUBLE	2

enum compare_rule {
	COMPARE_SEQ,		/* the daemon's seq decides */
	COMPARE_MTIME,		/* nanosecond mtime decides (equal is stale) */
	COMPARE_FIRST,		/* both first seen by a crawl, never written
				   since: mtime decides (equal is stale) */
};

/* What is known of one path. */
struct compare_fact {
	const char	*arg;		/* as given on the command line */
	int		 rule;		/* enum compare_rule */
	int		 exists;
	uint64_t	 seq;		/* with COMPARE_SEQ */
	uint64_t	 built_from;	/* target: its recorded build began */
	int		 first;		/* with COMPARE_SEQ: the daemon never
					   saw it written (PROTO_FIRST_SIGHT) */
	int64_t		 mtime_ns;	/* always, when it exists */
};

/* The outcome for one dependency against the target. */
struct compare_dep {
	int		 newer;		/* not strictly older than the target */
	int		 rule;		/* the rule that decided */
};

/*
 * Compare one dependency with an existing target.  The seq rule applies
 * only when both sides have a seq; otherwise mtimes decide.  Equal seqs or
 * equal mtimes count as newer (stale).  When the target was written by a
 * recorded build (built_from != 0), a dependency written after that build
 * began is newer, even if the build wrote the target later.
 */
struct compare_dep compare_dep(const struct compare_fact *,
	    const struct compare_fact *);
/* The seq a target's dependencies must be older than. */
uint64_t compare_target_seq(const struct compare_fact *);

/*
 * The verdict for a target and n dependencies: EXIT_TROUBLE if a
 * dependency is missing, else EXIT_STALE if the target is missing or a
 * dependency is newer, else EXIT_FRESH.  out[] (n entries, may be NULL)
 * receives each dependency's outcome; when the target is missing every
 * dependency is marked newer, as make's $? would list it.
 */
int	 compare_check(const struct compare_fact *,
	    const struct compare_fact *, int, struct compare_dep *);

#endif
