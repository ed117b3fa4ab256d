#!/usr/bin/env bash
# Area 1 (check): the verdicts of DESIGN section 3 and their exit statuses:
# 0 up to date, 1 stale (a dependency written after the target, or no
# target), 2 error (a dependency that does not exist).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

echo 'int a;' >a.c
echo obj >a.o
expect_exit -m "target written after its dependency: up to date" \
    0 depcheck a.o a.c
is "$(cat "$T_OUT")$(cat "$T_ERR")" "" "a plain check prints nothing"
echo 'int b;' >a.c
expect_exit -m "dependency written after the target: stale" \
    1 depcheck a.o a.c
is "$(cat "$T_OUT")$(cat "$T_ERR")" "" "a stale check prints nothing either"
expect_exit -m "the check subcommand says the same" 1 depcheck check a.o a.c
echo obj >a.o
expect_exit -m "target rewritten after the dependency: up to date" \
    0 depcheck check a.o a.c

# Several dependencies: one written after the target is enough.
echo h >a.h
echo obj >b.o
expect_exit -m "all dependencies written before the target" \
    0 depcheck b.o a.c a.h
echo h2 >>a.h
expect_exit -m "the last of three dependencies written after the target" \
    1 depcheck b.o a.c a.h a.c
expect_exit -m "the first of two dependencies written after the target" \
    1 depcheck b.o a.h a.c

# A missing target is stale; a missing dependency is an error.
expect_exit -m "missing target: stale" 1 depcheck nosuch.o a.c
expect_fail 2 "depcheck: dependency 'b.h' does not exist" depcheck a.o b.h
is "$(nlines "$T_ERR")" 1 "a missing dependency gives one stderr line"
expect_fail -m "a missing dependency among existing ones is an error" \
    2 "depcheck: dependency 'b.h' does not exist" depcheck a.o a.c b.h a.h
expect_fail -m "a missing dependency wins over a missing target" \
    2 "depcheck: dependency 'b.h' does not exist" depcheck nosuch.o b.h
rm a.h
expect_fail -m "a deleted dependency is an error" \
    2 "depcheck: dependency 'a.h' does not exist" depcheck a.o a.h
echo back >a.h
expect_exit -m "a re-created dependency is newer than the target" \
    1 depcheck a.o a.h
rm a.o
expect_exit -m "a deleted target is stale" 1 depcheck a.o a.c
echo obj >a.o
expect_exit -m "a re-created target is up to date" 0 depcheck a.o a.c a.h

# Paths are relative to the working directory, as make resolves them.
mkdir sub
echo x >sub/x.h
cd sub || exit 1
expect_exit -m "from a subdirectory: ../a.o x.h is stale" \
    1 depcheck ../a.o x.h
echo obj >../a.o
expect_exit -m "from a subdirectory: ../a.o rewritten is up to date" \
    0 depcheck ../a.o x.h ../a.c
cd "$ROOT" || exit 1
expect_exit -m "./a.o, an absolute path and sub/x.h name the same files" \
    0 depcheck ./a.o "$ROOT/a.c" sub/x.h sub/../a.h
echo y >sub/x.h
expect_exit -m "sub/x.h rewritten: stale, whatever the spelling" \
    1 depcheck "$ROOT/a.o" ./sub//x.h

# From outside the root, DEPCHECK_ROOT names it (and the daemon answers:
# no fallback warning).
cd "$SCRATCH" || exit 1
DEPCHECK_ROOT=$ROOT expect_exit -m "DEPCHECK_ROOT from another directory" \
    1 depcheck "$ROOT/a.o" "$ROOT/sub/x.h"
is "$(cat "$T_ERR")" "" "DEPCHECK_ROOT: the daemon answered (no warning)"
cd "$ROOT" || exit 1

# A file name that looks like a subcommand works after "check".
echo o >status
echo s >start
expect_exit -m "depcheck check status start: stale" \
    1 depcheck check status start
echo o >status
expect_exit -m "depcheck check status start: up to date" \
    0 depcheck check status start

done_testing
