#!/usr/bin/env bash
# Area 2 (watch): renaming a directory is a write of everything below it;
# the watches follow the directory to its new name; a directory moved in
# from outside the root is new, all of it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

mkdir -p d1/sub/deeper
echo f >d1/sub/f
echo g >d1/sub/deeper/g
# Let the daemon crawl the new directories before the target is written
# (a sync, no sleep): if its crawl ran after t.o was written in the same
# clock tick, nobody could tell the order, and the answer would rightly
# be "stale" (daemon/stamp.c).
depcheck_nowrap seq d1/sub/f >/dev/null
echo o >t.o
expect_exit -m "before the rename: up to date" \
    0 depcheck t.o d1/sub/f d1/sub/deeper/g
mv d1 d2
expect_exit -m "a file under a renamed directory is newer than the target" \
    1 depcheck t.o d2/sub/f
expect_exit -m "so is one two levels down" 1 depcheck t.o d2/sub/deeper/g
expect_fail -m "the old name is gone" \
    2 "depcheck: dependency 'd1/sub/f' does not exist" depcheck t.o d1/sub/f
echo o >t.o
expect_exit -m "target rewritten after the rename: up to date" \
    0 depcheck t.o d2/sub/f d2/sub/deeper/g

# The watches moved with the directory.
echo f2 >>d2/sub/f
expect_exit -m "a write in the renamed directory is seen" \
    1 depcheck t.o d2/sub/f
echo o >t.o
echo new >d2/sub/deeper/new
expect_exit -m "a file created in the renamed directory is seen" \
    1 depcheck t.o d2/sub/deeper/new
is "$(depcheck_nowrap seq d2/sub/deeper/new | cut -d ' ' -f 2)" exists \
    "seq: the new file exists"

# Renamed twice, into another directory.
mkdir other
echo o >t.o
mv d2/sub other/moved
expect_exit -m "a subdirectory moved into another directory: newer" \
    1 depcheck t.o other/moved/f
echo o >t.o
echo h >other/moved/deeper/h
expect_exit -m "a file created after the second rename is seen" \
    1 depcheck t.o other/moved/deeper/h

# A directory moved in from outside the root.
out=$(make_tmpdir)
mkdir -p "$out/in/x"
echo i >"$out/in/x/i.h"
echo o >t.o
mv "$out/in" moved-in
expect_exit -m "a directory moved into the root: its files are newer" \
    1 depcheck t.o moved-in/x/i.h
echo o >t.o
echo j >moved-in/x/j.h
expect_exit -m "a file created in it afterwards is seen" \
    1 depcheck t.o moved-in/x/j.h

# A directory moved out of the root and back.
mkdir -p away/y
echo a >away/y/a.h
echo o >t.o
mv away "$out/away"
expect_fail -m "a directory moved out: its files are gone" \
    2 "depcheck: dependency 'away/y/a.h' does not exist" \
    depcheck t.o away/y/a.h
mv "$out/away" away
expect_exit -m "moved back in: newer than the target" 1 depcheck t.o away/y/a.h

# A directory replaced by another under the same name.
mkdir -p r/x
echo 1 >r/x/f
mkdir -p r2/x
echo 2 >r2/x/f
echo o >t.o
expect_exit -m "before replacing a directory: up to date" 0 depcheck t.o r/x/f
rm -r r
mv r2 r
expect_exit -m "a directory renamed over a deleted one: newer" \
    1 depcheck t.o r/x/f

done_testing
