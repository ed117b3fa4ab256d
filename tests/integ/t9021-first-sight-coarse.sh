#!/usr/bin/env bash
# Issue 14 on a file system with 1-second timestamps (ext4 with 128-byte
# inodes, loop-mounted): a project built on a nanosecond file system and
# copied there with cp -a keeps whole seconds of its mtimes.  Seen for the
# first time, exactly the targets with a dependency in their own second
# are stale (make's rule, equal counting as stale), where ctime order would
# call stale whatever cp happened to copy first.  make -q under exec
# agrees with plain make -q (both see the copy's own mtimes).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=first-sight.sh
. "$here/first-sight.sh"

fs_project "$SCRATCH/p" 200
coarse_root 64
cp -a "$SCRATCH/p" "$ROOT/c"
fs_expected "$ROOT/c" >"$SCRATCH/want"
n=$(($(wc -l <"$SCRATCH/want") - 1))
diag "make's rule on the 1-second copy: $n of 200 targets stale (a dependency in their own second)"
is "$(head -n 1 "$SCRATCH/want")" "targets 200" "the copy has its 200 rules"

start_daemon
fs_depcheck "$ROOT/c" >"$SCRATCH/got"
is "$(cat "$SCRATCH/got")" "$(cat "$SCRATCH/want")" \
    "first sight on 1-second timestamps: exactly the targets make's rule calls stale"
if [ "$n" -gt 0 ]; then
	is "$T_RC" 1 "some stale: exit 1"
else
	is "$T_RC" 0 "none stale: exit 0"
fi

cd "$ROOT/c" || exit 1
run_cmd make -q
plain=$T_RC
run_cmd depcheck exec -- make -q
is "$T_RC" "$plain" "make -q under exec: as plain make -q ($plain)"

# From here on write order decides, even within one second.
run_cmd make -s -B
is "$T_RC" 0 "make -B rebuilds everything"
fs_depcheck "$ROOT/c" >"$SCRATCH/got"
is "$(cat "$SCRATCH/got")" "targets 200" "after the rebuild, by write order: nothing stale"
echo '/* later */' >>inc/common.h
fs_depcheck "$ROOT/c" >"$SCRATCH/got"
is "$(wc -l <"$SCRATCH/got")" 201 "the header written in the same second: all 200 stale"

done_testing
