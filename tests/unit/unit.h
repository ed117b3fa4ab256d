/*
 * Check macros for the unit tests (test-*.c), and the declaration of every
 * test listed in test-list.h.  A failed check prints file:line, the
 * expressions and their values on stderr, then ends the test's process
 * with status 1; runner.c turns that into "not ok" (see runner.c).
 */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>
#include <stdint.h>

/* Seconds a test may run before the runner's alarm kills it. */
#define UNIT_TIMEOUT	10

#define TEST(name)	void name(void);
#include "test-list.h"
#undef TEST

#define CHECK(cond) do {						\
	if (!(cond))							\
		unit_fail(__FILE__, __LINE__, "CHECK(%s) failed",	\
		    #cond);						\
} while (0)

/* Signed values (int, int64_t, ssize_t), compared as intmax_t. */
#define CHECK_EQ_INT(a, b)						\
	unit_check_int(__FILE__, __LINE__, #a, #b, (intmax_t)(a),	\
	    (intmax_t)(b))

/* Unsigned values (uint32_t, uint64_t, size_t), compared as uintmax_t. */
#define CHECK_EQ_UINT(a, b)						\
	unit_check_uint(__FILE__, __LINE__, #a, #b, (uintmax_t)(a),	\
	    (uintmax_t)(b))

/* NUL-terminated strings; NULL equals only NULL. */
#define CHECK_EQ_STR(a, b)						\
	unit_check_str(__FILE__, __LINE__, #a, #b, (a), (b))

/* Byte strings with their lengths; both length and bytes must match. */
#define CHECK_EQ_MEM(a, alen, b, blen)					\
	unit_check_mem(__FILE__, __LINE__, #a, #b, (a), (alen), (b),	\
	    (blen))

/*
 * Print "file:line: " and the message on stderr, then end the test with
 * status 1.  Test helpers that take the caller's file and line call it (or
 * the unit_check_* functions) so that a failure names the caller.
 */
void	 unit_fail(const char *, int, const char *, ...)
	     __attribute__((noreturn, format(printf, 3, 4)));
void	 unit_check_int(const char *, int, const char *, const char *,
	     intmax_t, intmax_t);
void	 unit_check_uint(const char *, int, const char *, const char *,
	     uintmax_t, uintmax_t);
void	 unit_check_str(const char *, int, const char *, const char *,
	     const char *, const char *);
void	 unit_check_mem(const char *, int, const char *, const char *,
	     const void *, size_t, const void *, size_t);

#endif
