#!/usr/bin/env bash
# Area 7 (make): what `depcheck exec` presents for files that share a seq.
# Files a restart's crawl finds (created while the daemon was down) with
# equal ctimes share one seq: nobody saw which was written last.  (What the
# root's first crawl finds is presented at its own mtime instead, issue 14:
# t9020, t9021.)  On a file system with 1-second timestamps (ext4 with
# 128-byte inodes on a loop device) twelve files are created in one second,
# so that their ctimes are equal, while the daemon is stopped: six
# target/dependency pairs,
#	p1, p2: the dependency created first, its mtime older (p1) or newer
#	        (p2) than the target's (touch -d);
#	p3, p4: the target created first, the same two ways;
#	e1: equal mtimes, the dependency created first (lower inode);
#	e2: equal mtimes, the target created first.
# What the test asserts (daemon/publish.c):
#  - they are presented at distinct times, one nanosecond apart from the
#    ctime's second on, in the order of their mtimes, then of their
#    inodes (stat -c %.9Y with DEPCHECK_EXEC_TOOLS=stat);
#  - make under exec decides p1..p4 as plain make does: mtime order comes
#    before inode order;
#  - equal mtimes cannot be "stale both ways" for make: the file with the
#    lower inode (created first) is presented as older.  So e1 is up to
#    date, as plain make says, and e2 (its target created before its
#    dependency in the same second) is stale, where plain make says up to
#    date.  `depcheck TARGET DEP` says stale for both (an equal seq counts
#    as stale); --why names the tie.
# Needs root and a loop device (skipped otherwise).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null 2>&1 || skip_all "no make"
coarse_root 16

# Every command's output goes to a transcript, for the clock warnings.
exec_transcript

# dx ARGS: depcheck exec ARGS (options, --, CMD).
dx()
{
	depcheck exec "$@"
}


# A time as printed by %.9Y, in nanoseconds.
ns()
{
	printf '%d' "$((${1%.*} * 1000000000 + 10#${1#*.}))"
}

# to_next_second: wait for the wall clock's next second, so that what
# follows has most of a second to run in (the timing of the test's own
# writes; the daemon is not running).
to_next_second()
{
	local s=${EPOCHREALTIME%.*}

	while [ "${EPOCHREALTIME%.*}" = "$s" ]; do
		sleep 0.005
	done
	sleep 0.02	# the coarse clock that stamps files lags a tick
}

PAIRS=(p1 p2 p3 p4 e1 e2)
# creation order: the dependency (d) or the target (t) of each pair first
FILES=(p1.d p1.t p2.d p2.t p3.t p3.d p4.t p4.d e1.d e1.t e2.t e2.d)
B=1700000000

# make_group DIR: the Makefile, then the twelve files in one second.
make_group()
{
	local p f

	mkdir "$1"
	for p in "${PAIRS[@]}"; do
		printf '%s.t: %s.d\n\tcp %s.d %s.t\n' "$p" "$p" "$p" "$p"
	done >"$1/Makefile"
	to_next_second
	for f in "${FILES[@]}"; do
		echo "$f" >"$1/$f"
	done
	(cd "$1" && touch -d "@$((B + 1))" p1.d p2.t p3.d p4.t &&
	    touch -d "@$((B + 2))" p1.t p2.d p3.t p4.d)
}

# A daemon ran on the root before: what follows is found by a restart.
start_daemon
run_cmd depcheck stop "$ROOT"
is "$T_RC" 0 "the first daemon stopped"

# Try up to five times for a group whose twelve ctimes are equal.
attempt=0
while [ "$attempt" -lt 5 ]; do
	attempt=$((attempt + 1))
	G=g$attempt
	make_group "$G"
	[ "$(cd "$G" && stat -c %Z "${FILES[@]}" | sort -u | wc -l)" = 1 ] &&
	    break
	diag "attempt $attempt: the second ticked while the files were made"
done
cd "$G" || exit 1
S=$(stat -c %Z p1.d)
is "$(stat -c %Z "${FILES[@]}" | sort -u)" "$S" \
    "setup: the twelve files have one ctime ($attempt attempt(s))"
is "$(stat -c %Y e1.d e1.t e2.t e2.d | sort -u)" "$S" \
    "setup: e1 and e2 have equal mtimes (their ctime)"

# ino FILE, mtime FILE (real)
declare -A INO MT
while read -r f i m; do
	INO[$f]=$i
	MT[$f]=$m
done < <(stat -c '%n %i %.9Y' "${FILES[@]}")
# shellcheck disable=SC2031	# keys of an associative array, not $d
ok "setup: e1's dependency has the lower inode, e2's target" \
    test "${INO[e1.d]}" -lt "${INO[e1.t]}" -a "${INO[e2.t]}" -lt "${INO[e2.d]}"

start_daemon
seqs=$(for f in "${FILES[@]}"; do seq_of "$f"; done | sort -u)
like "$seqs" '^[0-9]+$' "the restart's crawl gave the twelve files one seq ($seqs)"

# ---------------------------------------------------------- presented

DEPCHECK_EXEC_TOOLS=stat expect_exit \
    -m "DEPCHECK_EXEC_TOOLS=stat exec -- stat -c '%n %.9Y'" \
    0 dx -- stat -c '%n %.9Y' "${FILES[@]}"
now=$(date +%s.%N)
declare -A PT
while read -r f p; do
	PT[$f]=$p
done <"$T_OUT"
diag "file  inode  mtime  presented:" "$(for f in "${FILES[@]}"; do
	printf '%s %s %s %s\n' "$f" "${INO[$f]}" "${MT[$f]}" "${PT[$f]}"
done)"
is "$(printf '%s\n' "${PT[@]}" | sort -u | wc -l)" 12 \
    "twelve distinct presented times"
by_presented=$(for f in "${FILES[@]}"; do
	printf '%s %s\n' "${PT[$f]}" "$f"
done | sort -n | cut -d ' ' -f 2)
by_mtime_inode=$(for f in "${FILES[@]}"; do
	printf '%s %d %s\n' "${MT[$f]}" "${INO[$f]}" "$f"
done | sort -k 1,1n -k 2,2n | cut -d ' ' -f 3)
is "$by_presented" "$by_mtime_inode" \
    "presented in mtime order, then inode order"
late=0
for f in "${FILES[@]}"; do
	p=$(ns "${PT[$f]:-0.0}")
	if [ "$p" -lt "$((S * 1000000000))" ] ||
	    [ "$p" -ge "$(((S + 1) * 1000000000))" ] ||
	    [ "$p" -gt "$(ns "$now")" ]; then
		late=$((late + 1))
	fi
done
is "$late" 0 "each presented time: in the ctime's second, not later than now"

# ---------------------------------------------------------- make

# p1..p4: mtimes differ; exec decides as plain make.
for p in p1 p2 p3 p4; do
	# shellcheck disable=SC2031	# keys of an associative array
	if [ "$(ns "${MT[$p.d]}")" -gt "$(ns "${MT[$p.t]}")" ]; then
		want=1
	else
		want=0
	fi
	expect_exit -m "$p: plain make -q $p.t: $want" "$want" \
	    plain make -q "$p.t"
	expect_exit -m "$p: exec -- make -q $p.t: $want, as plain make" \
	    "$want" dx -- make -q "$p.t"
done

# e1, e2: equal mtimes.
expect_exit -m "e1: plain make -q e1.t: 0" 0 plain make -q e1.t
expect_exit -m "e1 (dependency created first): exec -- make -q e1.t: 0" \
    0 dx -- make -q e1.t
expect_exit -m "e2: plain make -q e2.t: 0" 0 plain make -q e2.t
expect_exit -m "e2 (target created first): exec -- make -q e2.t: 1" \
    1 dx -- make -q e2.t
expect_exit -m "e1: depcheck e1.t e1.d: stale (equal seqs)" \
    1 depcheck e1.t e1.d
expect_exit -m "e2: depcheck e2.t e2.d: stale (equal seqs)" \
    1 depcheck e2.t e2.d
run_cmd dx --why -- make -q e2.t
like "$(grep '^depcheck: make: ' "$T_ERR")" \
    "^depcheck: make: 'e2\\.d' and 'e2\\.t' were found by a crawl with equal mtimes: nobody saw which came last; ordered by ctime, then inode\$" \
    "e2: --why names the tie"
expect_exit -m "e2: exec -- make e2.t: rebuilt" 0 dx -- make e2.t
expect_exit -m "e2: exec -- make -q e2.t: up to date" 0 dx -- make -q e2.t
expect_exit -m "e2: depcheck e2.t e2.d: up to date" 0 depcheck e2.t e2.d

no_clock_warnings

done_testing
