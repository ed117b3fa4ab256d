/*
 * Like arch/x86/lib/usercopy_64.c under CONFIG_TRIM_UNUSED_KSYMS: the
 * symbol is exported only if ksym/put_user_2.h says something uses it.
 */
#include "ksym/put_user_2.h"

#if EXPORT_PUT_USER_2
int	put_user_2(void);

int
put_user_2(void)
{
	return (2);
}
#endif
