#!/usr/bin/env bash
# Area 1 (check): a dependency written after its target but with the same
# mtime (a coarse-timestamp file system, or touch -r) is stale.  make -q
# misses it: that is the kernel's autoksyms race (DESIGN section 1).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

printf 'a.o: a.c\n\t@echo rebuilding a.o\n' >Makefile
touch a.o
echo 'int x;' >a.c
touch -r a.o a.c
is "$(stat -c %y a.c)" "$(stat -c %y a.o)" "setup: a.c and a.o have the same mtime"
if command -v make >/dev/null; then
	expect_exit -m "setup: make -q thinks a.o is up to date (the bug)" \
	    0 make -q a.o
else
	skip "make is not installed"
fi
expect_exit -m "depcheck: a.c, written after a.o, makes it stale" \
    1 depcheck a.o a.c

# The other way round: the target written last, at the same mtime.
echo 'int y;' >b.c
touch b.o
touch -r b.c b.o
is "$(stat -c %y b.c)" "$(stat -c %y b.o)" "setup: b.c and b.o have the same mtime"
expect_exit -m "b.o, written after b.c at the same mtime, is up to date" \
    0 depcheck b.o b.c

# The same second, as on ext3 or with 128-byte inodes: both whole-second.
echo obj >c.o
echo 'int z;' >c.c
touch -d @1700000000 c.o c.c
expect_exit -m "same whole-second mtime, dependency written last: stale" \
    1 depcheck c.o c.c
touch -d @1700000000 c.o
expect_exit -m "same whole-second mtime, target touched last: up to date" \
    0 depcheck c.o c.c

done_testing
