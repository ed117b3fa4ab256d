#!/usr/bin/env bash
# Area 2 (watch): at first start every file gets a seq by a crawl in ctime
# order, ties sharing a seq; but two files that the first crawl found and
# that were never seen written since are compared by mtime, as make
# compares them, equal counting as stale (issue 14: ctimes tell when a
# copy arrived, not when it was built).  So a dependency created after its
# target but dated in the past (touch -d) before any daemon ran is up to
# date, as for make; once the daemon watches, write order decides.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ctime of a file, as a sortable string (nanoseconds).
ctime()
{
	stat -c %z "$1"
}

# Created in this order, before any daemon.
echo o >a.o
echo c >a.c
touch -d 2001-01-01 a.c		# make would call a.o up to date

# b.c, then b.o with a strictly later ctime (touched until the clock
# ticks: the kernel's adjust_autoksyms fix, done here on purpose).
echo c >b.c
echo o >b.o
while [[ ! "$(ctime b.o)" > "$(ctime b.c)" ]]; do
	touch b.o
done

# c.o and c.c created back to back, again until their ctimes are equal
# (the clock ticks every few ms: the first tries usually succeed).
for ((i = 0; i < 100; i++)); do
	rm -f c.o c.c
	echo o >c.o
	echo c >c.c
	[ "$(ctime c.o)" = "$(ctime c.c)" ] && break
done

mkdir -p deep/er
echo h >deep/er/h.h

start_daemon

expect_exit -m "created after the target, dated 2001 before any daemon: up to date, as for make" \
    0 depcheck a.o a.c
expect_fail -m "--why: first seen by a crawl, decided by mtime" \
    0 "depcheck: a.o is up to date: 1 dependency older by mtime (newest a.c); first seen by a crawl, never written since: decided by mtime" \
    depcheck --why a.o a.c
expect_exit -m "target's ctime strictly later: up to date after the crawl" \
    0 depcheck b.o b.c
expect_exit -m "a file in a subdirectory created after a.o: stale" \
    1 depcheck a.o deep/er/h.h
expect_exit -m "c.c created after c.o: stale after the crawl" \
    1 depcheck c.o c.c
so=$(seq_of c.o)
sc=$(seq_of c.c)
ties=$(status_field ties)
like "$ties" '^[0-9]+$' "status gives ties"
if [ "$(ctime c.o)" = "$(ctime c.c)" ]; then
	is "$so" "$sc" "equal ctimes share a seq"
	ok "status counts them among the ties ($ties)" test "$ties" -ge 2
else
	ok "ctimes differ: c.c's seq ($sc) above c.o's ($so)" test "$sc" -gt "$so"
fi
expect_exit -m "--why says: by mtime, both first seen" 1 depcheck --why c.o c.c
like "$(cat "$T_ERR")" '^depcheck: c\.o is stale: c\.c not older by mtime, both first seen by a crawl \([0-9.]+ >= [0-9.]+\)$' \
    "--why: the first-sight line"
# A file the daemon sees written is newer than every first-sight file.
touch -d 2001-01-01 a.c
expect_exit -m "a.c touched back to 2001 while watched: a write, stale" 1 depcheck a.o a.c

# After the crawl, writes are ordered as usual.
echo o >a.o
expect_exit -m "the target rewritten after the crawl: up to date" \
    0 depcheck a.o a.c deep/er/h.h
echo c >c.c
echo o >c.o
expect_exit -m "c.o rewritten: up to date" 0 depcheck c.o c.c

done_testing
