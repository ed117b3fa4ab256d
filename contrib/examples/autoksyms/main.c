/* A user of put_user_2, like the module that failed to link in 2018. */
int	put_user_2(void);

int
main(void)
{
	return (put_user_2() == 2 ? 0 : 1);
}
