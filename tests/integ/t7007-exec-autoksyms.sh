#!/usr/bin/env bash
# Area 7 (make): the autoksyms example (contrib/examples/autoksyms) with
# its Makefile unmodified -- plain make rules, no depcheck.mk -- on a file
# system with 1-second timestamps (ext4 with 128-byte inodes on a loop
# device), where the race is real, not simulated:
#  - 20 builds under `depcheck exec -- make` (-j1 and -j4 in turn): every
#    one links (./prog runs), lib.o compiled again after the header;
#  - 20 builds with plain make on the same file system: every build whose
#    header landed in lib.o's second links a stale lib.o.  No delay is
#    added between lib.o and the header (KSYMS_OTHER_WORK_MS unset), so
#    that most builds are in the race; if none was, that is said, not
#    failed.
# Needs root and a loop device (skipped otherwise).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TRIALS=20

# now: the wall clock in ms, for the timing comments.
now()
{
	local t=${EPOCHREALTIME/./}

	printf '%d' "$((t / 1000))"
}

command -v make >/dev/null 2>&1 || skip_all "no make"
command -v cc >/dev/null 2>&1 || skip_all "no cc"
command -v nm >/dev/null 2>&1 || skip_all "no nm (binutils)"
coarse_root 32

EXAMPLE=$REPO_DIR/contrib/examples/autoksyms
cp -R "$EXAMPLE/." "$ROOT/" || give_up "copy $EXAMPLE"
ok "the example's Makefile, unmodified" cmp Makefile "$EXAMPLE/Makefile"
ok "no depcheck.mk next to it" test ! -e depcheck.mk

t_start=$(now)
start_daemon

ALLERR=$SCRATCH/all-stderr	# the stderr of every build
: >"$ALLERR"

# xmk ARGS: make ARGS under depcheck exec, in ROOT, as run_cmd.
xmk()
{
	run_cmd depcheck exec -- make "$@"
}

# The race was on: the header written (by adjust_ksyms.sh) in the second
# that ksym/ got its entry in (the header's first write, which comes
# before lib.o's first compile), so in lib.o's second too.
race_on()
{
	[ "$(stat -c %Y ksym)" = "$(stat -c %Y ksym/put_user_2.h)" ]
}

# trial MAKE...: a build from clean with MAKE; 0 when it linked and
# ./prog runs.  Counts the race in RACED.
RACED=0
trial()
{
	local j=$1

	shift
	mk -s clean
	"$@" --no-print-directory "$j"
	cat "$T_ERR" >>"$ALLERR"
	race_on && RACED=$((RACED + 1))
	[ "$T_RC" -eq 0 ] && ./prog 2>/dev/null
}

# 1. Under depcheck exec.
stale=0 twice=0
t0=$(now)
for ((i = 1; i <= TRIALS; i++)); do
	j=-j$((i % 2 ? 1 : 4))
	if ! trial "$j" xmk; then
		stale=$((stale + 1))
		if [ "$stale" -le 3 ]; then
			diag "exec build $i ($j) linked a stale object:"
			diag_last
		fi
	fi
	if [ "$(grep -c '^cc -c -o lib.o lib.c$' "$T_OUT")" -eq 2 ]; then
		twice=$((twice + 1))
	elif [ "$stale" -le 3 ]; then
		diag "exec build $i ($j): lib.o not compiled twice:"
		diag_last
	fi
done
t1=$(now)
xraced=$RACED
diag "depcheck exec -- make: $stale/$TRIALS builds linked a stale object;\
 the header was in lib.o's second in $xraced ($((t1 - t0)) ms)"
is "$stale" 0 "unmodified make under depcheck exec: 0/$TRIALS stale links"
is "$twice" "$TRIALS" \
    "under exec, lib.o compiled again after the header in $twice/$TRIALS builds"
if [ "$xraced" -gt 0 ]; then
	pass "the race was on in $xraced/$TRIALS exec builds"
else
	skip "no exec build had the header in lib.o's second (lucky)"
fi
ok "no 'future' or 'skew' warning, nothing from depcheck" \
    not grep -Eiq 'future|skew|^depcheck' "$ALLERR"
grep -Ei 'future|skew|^depcheck' "$ALLERR" | head -n 5 |
    while IFS= read -r line; do
	diag "stderr: $line"
done

# One more under --why: where the race was on, it names the header.
trial -j1 run_cmd depcheck exec --why -- make
if race_on; then
	why="depcheck: make: 'ksym/put_user_2.h' was written after '[^']*'"
	why+=", but its mtime [0-9: .-]+ is the same:"
	why+=" write order decides"
	like "$(cat "$T_ERR")" "$why" \
	    "--why: the header was written after, in the same second"
else
	skip "--why: the second ticked between lib.o and the header"
fi

# 2. Plain make on the same file system.
RACED=0 stale=0 missed=0
t0=$(now)
for ((i = 1; i <= TRIALS; i++)); do
	j=-j$((i % 2 ? 1 : 4))
	if ! trial "$j" mk; then
		stale=$((stale + 1))
	elif race_on; then
		missed=$((missed + 1))
		diag "plain build $i ($j): in the race, yet it linked:"
		diag_last
	fi
done
t1=$(now)
diag "plain make: $stale/$TRIALS builds linked a stale object; the\
 header was in lib.o's second in $RACED ($((t1 - t0)) ms)"
if [ "$stale" -gt 0 ]; then
	pass "plain make linked a stale object in $stale/$TRIALS builds"
else
	diag "plain make was lucky: no build had the header in lib.o's second"
	skip "plain make was lucky: 0/$TRIALS stale links"
fi
is "$missed" 0 "plain make linked a stale object in every build in the race"
ok "plain make: no 'future' or 'skew' warning" \
    not grep -Eiq 'future|skew' "$ALLERR"

diag "whole test: $(($(now) - t_start)) ms"

done_testing
