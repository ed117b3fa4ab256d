#!/usr/bin/env bash
# Area 2 (watch): writes made while no daemon watched are found at the
# next start (stat facts differ, the file is new, or it is gone) and get
# a seq above everything before, even when the mtime went backwards.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
echo 1 >dep.h
echo 1 >old.h
echo 1 >gone.h
echo o >t.o
expect_exit -m "before stop: up to date" 0 depcheck t.o dep.h old.h gone.h
expect_exit -m "depcheck stop" 0 depcheck stop

echo 2 >dep.h				# rewritten
cp -p t.o copy.h			# new, with t.o's mtime
touch -d 2001-01-01 old.h		# only dated back
rm gone.h

start_daemon
expect_exit -m "rewritten while stopped: stale" 1 depcheck t.o dep.h
expect_exit -m "created while stopped (same mtime as the target): stale" \
    1 depcheck t.o copy.h
expect_exit -m "dated back while stopped: stale" 1 depcheck t.o old.h
expect_fail -m "deleted while stopped: gone" \
    2 "depcheck: dependency 'gone.h' does not exist" depcheck t.o gone.h
echo o >t.o
expect_exit -m "target rewritten after the restart: up to date" \
    0 depcheck t.o dep.h copy.h old.h

# A dependency written just before the daemon stops and again right after:
# same size, dated as the target; the content changed unobserved.
echo aaaa >same.h
echo o >t.o
expect_exit -m "before the second stop: up to date" 0 depcheck t.o same.h
expect_exit -m "depcheck stop (2)" 0 depcheck stop
echo bbbb >same.h
touch -r t.o same.h
start_daemon
expect_exit -m "rewritten while stopped, same size, dated as the target: stale" \
    1 depcheck t.o same.h

done_testing
