#!/usr/bin/env bash
# Area 1 (check): with no daemon, a check warns once and compares mtimes
# (equal counts as stale); --strict and DEPCHECK_STRICT=1 make it an error.
# The root named is the one found (.depcheck/ at or above the working
# directory, or DEPCHECK_ROOT), else the working directory.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# no_daemon_checks DIR: the checks, run where DIR is the root found.
no_daemon_checks()
{
	local dir=$1 warn strict

	warn="depcheck: no daemon for '$dir'; comparing mtimes (equal counts as stale)"
	strict="depcheck: no daemon for '$dir' (run: depcheck start)"
	echo c >a.c
	echo o >a.o
	touch -d @1600000000 a.c
	touch -d @1600000100 a.o
	expect_fail -m "no daemon ($dir), older dependency: warning, 0" \
	    0 "$warn" depcheck a.o a.c
	is "$(nlines "$T_ERR")" 1 "no daemon: exactly one warning line"
	touch -d @1600000200 a.c
	expect_fail -m "no daemon ($dir), newer dependency: warning, 1" \
	    1 "$warn" depcheck a.o a.c
	touch -d @1600000200 a.o
	expect_fail -m "no daemon ($dir), equal mtimes: warning, 1" \
	    1 "$warn" depcheck a.o a.c
	touch -d @1600000200.000000001 a.o
	expect_fail -m "no daemon ($dir), target 1 ns newer: warning, 0" \
	    0 "$warn" depcheck a.o a.c
	expect_fail -m "no daemon ($dir), missing target: 1" \
	    1 "$warn" depcheck nosuch.o a.c
	expect_fail -m "no daemon ($dir), missing dependency: 2" \
	    2 "depcheck: dependency 'nosuch.h' does not exist" \
	    depcheck a.o nosuch.h
	expect_fail -m "no daemon ($dir), --strict: 2" \
	    2 "$strict" depcheck --strict a.o a.c
	is "$(nlines "$T_ERR")" 1 "--strict: exactly one line"
	DEPCHECK_STRICT=1 expect_fail -m "no daemon ($dir), DEPCHECK_STRICT=1: 2" \
	    2 "$strict" depcheck a.o a.c
	DEPCHECK_STRICT=1 expect_fail \
	    -m "no daemon ($dir), DEPCHECK_STRICT=1, stale by mtime: 2" \
	    2 "$strict" depcheck nosuch.o a.c
}

# 1. No .depcheck/ anywhere: the working directory is named.
found=
d=$ROOT
while :; do
	[ -e "$d/.depcheck" ] && found=$d
	[ "$d" = / ] && break
	d=$(dirname "$d")
done
if [ -n "$found" ]; then
	skip "$found/.depcheck exists above the test root" 11
else
	no_daemon_checks "$ROOT"
fi

# 2. A root with .depcheck/ and no daemon, from a subdirectory of it.
mkdir -p proj/.depcheck proj/src/deep
cd proj/src/deep || exit 1
no_daemon_checks "$ROOT/proj"

# 3. DEPCHECK_ROOT names it, from elsewhere.
cd "$SCRATCH" || exit 1
DEPCHECK_ROOT=$ROOT/proj expect_fail -m "DEPCHECK_ROOT, no daemon: named" \
    0 "depcheck: no daemon for '$ROOT/proj'; comparing mtimes (equal counts as stale)" \
    depcheck "$ROOT/proj/src/deep/a.o" "$ROOT/proj/src/deep/a.c"

# 4. A daemon that was started and stopped.
cd "$ROOT" || exit 1
start_daemon
echo c >b.c
echo o >b.o
expect_exit -m "with the daemon: up to date" 0 depcheck b.o b.c
is "$(cat "$T_ERR")" "" "with the daemon: no warning"
expect_exit -m "depcheck stop" 0 depcheck stop
no_daemon_checks "$ROOT"

done_testing
