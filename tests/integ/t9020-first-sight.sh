#!/usr/bin/env bash
# Issue 14: a tree the daemon sees for the first time is judged as make
# judges it -- by mtime, equal counting as stale -- not by the ctimes of
# a copy.  A built project restored with tar x (objects listed first, so
# their ctimes come first) and copied with cp -a, then watched: exactly
# the targets make's rule calls stale are stale: none from a pax archive
# or cp -a (nanoseconds kept; it was built on a nanosecond file system),
# those with a dependency in their own second from a GNU-format archive
# (whole seconds).  From then on, write order decides: a write
# seen is newer than every file first seen; a file changed while the
# daemon was down is newer than everything (touch -d 2001 included).
# depcheck seq shows the state; --why names the rule; exec presents the
# real mtimes, so make -q under exec agrees with plain make -q.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=first-sight.sh
. "$here/first-sight.sh"

command -v tar >/dev/null || skip_all "tar is not installed"
fs_project "$SCRATCH/p" 60
# pax keeps nanoseconds; GNU tar's own format whole seconds.
tar cf "$SCRATCH/p.tar" --format=posix -C "$SCRATCH/p" obj Makefile all.d inc src
tar cf "$SCRATCH/g.tar" --format=gnu -C "$SCRATCH/p" obj Makefile all.d inc src
mkdir "$ROOT/t" "$ROOT/g"
tar xf "$SCRATCH/p.tar" -C "$ROOT/t"
tar xf "$SCRATCH/g.tar" -C "$ROOT/g"
cp -a "$SCRATCH/p" "$ROOT/c"
first=$(stat -c %Z "$ROOT/t/obj/x1.o")
last=$(stat -c %Z "$ROOT/t/src/x60.c")
ok "tar x wrote the objects before the sources (their ctimes first)" \
    test "$first" -le "$last"
is "$(fs_expected "$ROOT/t")" "targets 60" "make's rule: nothing in the tar x copy is stale"
is "$(fs_expected "$ROOT/c")" "targets 60" "make's rule: nothing in the cp -a copy is stale"
fs_expected "$ROOT/g" >"$SCRATCH/g.want"
diag "make's rule, whole-second tar: $(($(wc -l <"$SCRATCH/g.want") - 1)) of 60 stale (equal mtimes)"

start_daemon
fs_depcheck "$ROOT/t" >"$SCRATCH/v"
is "$T_RC" 0 "tar x, first sight: exit 0"
is "$(cat "$SCRATCH/v")" "targets 60" "tar x, first sight: no target stale"
fs_depcheck "$ROOT/c" >"$SCRATCH/v"
is "$T_RC" 0 "cp -a, first sight: exit 0"
is "$(cat "$SCRATCH/v")" "targets 60" "cp -a, first sight: no target stale"
fs_depcheck "$ROOT/g" >"$SCRATCH/v"
is "$(cat "$SCRATCH/v")" "$(cat "$SCRATCH/g.want")" \
    "whole-second tar x, first sight: exactly the targets make's rule calls stale (equal is stale)"

cd "$ROOT/t" || exit 1
like "$(depcheck seq obj/x1.o src/x1.c)" $'^[0-9]+ first-sight [^ ]+ obj/x1\\.o\n[0-9]+ first-sight [^ ]+ src/x1\\.c$' \
    "depcheck seq: both in the first-sight state"
expect_fail -m "--why names the rule" 0 \
    "depcheck: obj/x1.o is up to date: 2 dependencies older by mtime (newest src/x1.c); first seen by a crawl, never written since: decided by mtime" \
    depcheck --why obj/x1.o src/x1.c inc/common.h
expect_exit -m "--json names the rule" 0 depcheck --json obj/x1.o src/x1.c
like "$(cat "$T_OUT")" '"target_first_sight":true.*"first_sight":true,"rule":"first-sight"' \
    "--json: first_sight on both, rule first-sight"

# Equal mtimes between two first-sight files: stale, both ways.  A
# fresh database sees eq.* for the first time too.
run_cmd depcheck stop "$ROOT"
is "$T_RC" 0 "depcheck stop"
echo 'x' >eq.o
echo 'y' >eq.c
touch -d '2020-01-01 00:00:00' eq.o eq.c
rm -rf "$ROOT/.depcheck"
start_daemon
expect_exit -m "equal mtimes, both first seen: stale" 1 depcheck eq.o eq.c
expect_exit -m "equal mtimes, both first seen: stale the other way too" 1 depcheck eq.c eq.o

# A write the daemon sees is newer than every first-sight file.
echo '/* edited */' >>src/x1.c
expect_exit -m "a source written: its object stale" 1 depcheck obj/x1.o src/x1.c inc/common.h
like "$(depcheck seq src/x1.c obj/x1.o)" $'^[0-9]+ exists [^ ]+ src/x1\\.c\n[0-9]+ first-sight ' \
    "seq: the written source leaves the first-sight state, the object keeps it"
is "$(fs_depcheck "$ROOT/t")" $'targets 60\nobj/x1.o' "only obj/x1.o is stale"
run_cmd make -s -C "$ROOT/t"
is "$T_RC" 0 "make rebuilds"
is "$(fs_depcheck "$ROOT/t")" "targets 60" "after the rebuild nothing is stale"
touch -d 2001-01-01 src/x3.c
expect_exit -m "touch -d 2001 while watched: a write, stale" 1 depcheck obj/x3.o src/x3.c

# Changed while the daemon was down: newer than everything, ctime order.
run_cmd depcheck stop "$ROOT"
touch -d 2001-01-01 src/x4.c
start_daemon
expect_exit -m "touch -d 2001 while stopped: stale" 1 depcheck obj/x4.o src/x4.c inc/common.h
expect_exit -m "untouched while stopped: still up to date" 0 depcheck obj/x5.o src/x5.c inc/common.h

# exec presents real mtimes: make -q under exec agrees with plain make -q
# on the untouched copy.
cd "$ROOT/c" || exit 1
run_cmd make -q
plain=$T_RC
run_cmd depcheck exec -- make -q
is "$T_RC" "$plain" "make -q under exec on the cp -a copy: as plain make ($plain)"
is "$plain" 0 "plain make -q: up to date"

done_testing
