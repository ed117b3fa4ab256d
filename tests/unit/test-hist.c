/*
 * hist_under: which paths a watch or a log limited to some paths keeps.
 */
#include <string.h>

#include "hist.h"
#include "unit.h"

static int
under(char *const *prefixes, size_t n, const char *path)
{
	return (hist_under(prefixes, n, path, strlen(path)));
}

void
hist_under_components(void)
{
	char	*p[] = { "src", "include/x.h" };
	char	*root[] = { "" };

	CHECK_EQ_INT(under(NULL, 0, "anything/at/all"), 1);
	CHECK_EQ_INT(under(p, 2, "src"), 1);
	CHECK_EQ_INT(under(p, 2, "src/a/b.c"), 1);
	CHECK_EQ_INT(under(p, 2, "srcx/a.c"), 0);	/* a component, not a prefix */
	CHECK_EQ_INT(under(p, 2, "sr"), 0);
	CHECK_EQ_INT(under(p, 2, "include/x.h"), 1);
	CHECK_EQ_INT(under(p, 2, "include/y.h"), 0);
	CHECK_EQ_INT(under(p, 2, "include"), 0);
	CHECK_EQ_INT(under(p, 2, ""), 0);
	CHECK_EQ_INT(under(root, 1, "a/b"), 1);
	CHECK_EQ_INT(under(root, 1, ""), 1);
}
