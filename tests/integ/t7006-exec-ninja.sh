#!/usr/bin/env bash
# Area 7 (make): real ninja under `depcheck exec` on a file system with
# 1-second timestamps (ext4 with 128-byte inodes on a loop device):
#  1. an input rewritten in its output's second: plain ninja says "no work
#     to do", `depcheck exec -- ninja` rebuilds what depends on it (cp
#     edges, cc edges, a header found through a gcc depfile);
#  2. an input given an old mtime (touch -d 2001): rebuilt under exec only;
#  3. ninja keeps output mtimes in .ninja_log and .ninja_deps: runs with
#     and without exec mixed on one tree, in both orders, with inputs
#     changed between runs.  After every exec run nothing is left to do or
#     stale by write order; what mixing costs (edges an exec run rebuilds
#     that write order did not need) is counted and printed;
#  4. `ninja -n` and `ninja -t` subtools under exec.
# No "in the future" or "clock skew" warning in any run.  Needs root and a
# loop device, and ninja (skipped otherwise).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# now: the wall clock in ms, for the timing comments.
now()
{
	local t=${EPOCHREALTIME/./}

	printf '%d' "$((t / 1000))"
}

command -v ninja >/dev/null 2>&1 ||
    skip_all "no ninja (apt-get install ninja-build)"
command -v cc >/dev/null 2>&1 || skip_all "no cc"
coarse_root 32

t_start=$(now)
start_daemon

# ---------------------------------------------------------- the project

# Two chains of cp edges, two objects with a gcc depfile (both include
# h.h, and stdio.h from outside the root) and a link.
cat >build.ninja <<'EOF'
rule cp
  command = cp $in $out
  description = BUILD $out
rule cc
  command = cc -MD -MF $out.d -c -o $out $in
  depfile = $out.d
  deps = gcc
  description = BUILD $out
rule link
  command = cc -o $out $in
  description = BUILD $out

build a.out: cp a.in
build d.mid: cp d.in
build d.out: cp d.mid
build b.o: cc b.c
build c.o: cc c.c
build prog: link b.o c.o
EOF

# The edges in build order, and the inputs of each (h.h as the depfile
# gives it).
EDGES=(a.out d.mid d.out b.o c.o prog)
declare -A INS=([a.out]="a.in" [d.mid]="d.in" [d.out]="d.mid"
    [b.o]="b.c h.h" [c.o]="c.c h.h" [prog]="b.o c.o")

# The inputs, written by set_* (what ./prog prints follows HX and CN).
HX=0 CN=0
set_a() { echo "a $1" >a.in; }
set_d() { echo "d $1" >d.in; }
set_b()
{
	printf '%s\n' '#include <stdio.h>' '#include "h.h"' \
	    "/* version $1 */" 'int c(void);' '' 'int' 'main(void)' '{' \
	    '	printf("%d %d\n", X, c());' '	return (0);' '}' >b.c
}
set_c()
{
	CN=$1
	printf '%s\n' '#include "h.h"' '' 'int c(void);' '' 'int' 'c(void)' \
	    '{' "	return (X * 1000 + $CN);" '}' >c.c
}
set_h()
{
	HX=$1
	printf '#define X %d\n' "$HX" >h.h
}

# What ./prog should print.
prog_want()
{
	printf '%d %d' "$HX" "$((HX * 1000 + CN))"
}

# Every output holds what its inputs say now (nothing linked stale).
contents_ok()
{
	[ "$(cat a.out)" = "$(cat a.in)" ] &&
	    [ "$(cat d.out)" = "$(cat d.in)" ] &&
	    [ "$(./prog)" = "$(prog_want)" ]
}

# --------------------------------------------------------- running ninja

ALLERR=$SCRATCH/all-stderr	# the stderr of every ninja run
: >"$ALLERR"

# nj ARGS: plain ninja in ROOT, as run_cmd, under env -i.
# shellcheck disable=SC2120 # called without arguments only, as yet
nj()
{
	run_cmd timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i PATH="$PATH" \
	    HOME="$ROOT" ninja "$@"
	cat "$T_ERR" >>"$ALLERR"
}

# xnj ARGS: ninja under depcheck exec, as run_cmd.
xnj()
{
	run_cmd depcheck exec -- ninja "$@"
	cat "$T_ERR" >>"$ALLERR"
}

# The outputs the last run built, sorted, on one line.
ran()
{
	sed -n 's|^\[[0-9]*/[0-9]*\] BUILD ||p' "$T_OUT" | sort | xargs
}

# Did the last run have nothing to do?
no_work()
{
	[ "$T_RC" -eq 0 ] && has_line "$T_OUT" "ninja: no work to do."
}

# The outputs stale by write order, sorted, on one line: those written
# before one of their inputs (depcheck OUTPUT INPUTS), and those
# downstream of one.
needed()
{
	local o i need=" "

	for o in "${EDGES[@]}"; do
		# shellcheck disable=SC2086 # INS holds word lists
		run_cmd depcheck "$o" ${INS[$o]}
		case $T_RC in
		0)	for i in ${INS[$o]}; do
				[[ $need == *" $i "* ]] && need+="$o "
			done ;;
		1)	need+="$o " ;;
		*)	diag_last ;;
		esac
	done
	# an output can be added twice above (two inputs needed)
	# shellcheck disable=SC2086 # one word a line
	printf '%s\n' $need | sort -u | xargs
}

# Is every output fresh by write order?
all_fresh()
{
	[ -z "$(needed)" ]
}

# Words of list $1 that are not in list $2.
minus()
{
	local w out=()

	for w in $1; do
		[[ " $2 " == *" $w "* ]] || out+=("$w")
	done
	printf '%s' "${out[*]}"
}

# A clean start: no outputs, no ninja log, every input written.
fresh_tree()
{
	rm -f a.out d.mid d.out b.o c.o prog ./*.d .ninja_log .ninja_deps
	set_a 0
	set_d 0
	set_b 0
	set_c 0
	set_h 0
}

fresh_tree
xnj
is "$(ran)" "a.out b.o c.o d.mid d.out prog" "exec: the first build builds all"
ok "exec: the first build's outputs are right" contents_ok
xnj -n
ok "exec: ninja -n after the build: no work to do" no_work || diag_last

# ------------------------------------ 1. a rewrite in the output's second

# to_next_second: wait for the wall clock's next second, so that what
# follows has most of a second to run in (the timing of the test's own
# writes; the daemon is not waited on).
to_next_second()
{
	local s=${EPOCHREALTIME%.*}

	while [ "${EPOCHREALTIME%.*}" = "$s" ]; do
		sleep 0.005
	done
	sleep 0.02	# the coarse clock that stamps files lags a tick
}

# Each round: an input written, the tree built under exec, the input
# rewritten in the same second, then plain ninja (fooled) and exec ninja
# (rebuilds).  ROUND_* rotate over a cp chain, a source, a header.
ROUND_SET=(set_a set_d set_h set_c)
ROUND_IN=(a.in d.in h.h c.c)
ROUND_OUT=("a.out" "d.mid" "b.o c.o" "c.o")
ROUND_WANT=("a.out" "d.mid d.out" "b.o c.o prog" "c.o prog")
rounds=8 done_=0 ticked=0 fooled=0 rebuilt=0 right=0 clean=0 v=0
t0=$(now)
while [ "$done_" -lt "$rounds" ] && [ "$ticked" -lt "$rounds" ]; do
	k=$((done_ % ${#ROUND_IN[@]}))
	in=${ROUND_IN[k]}
	to_next_second
	v=$((v + 1))
	"${ROUND_SET[k]}" "$v"
	xnj
	v=$((v + 1))
	"${ROUND_SET[k]}" "$v"
	same=1
	for o in ${ROUND_OUT[k]}; do
		[ "$(stat -c %Y "$o")" = "$(stat -c %Y "$in")" ] || same=
	done
	if [ -z "$same" ]; then
		ticked=$((ticked + 1))	# the second ticked: not the race
		xnj
		continue
	fi
	done_=$((done_ + 1))
	nj
	if no_work; then
		fooled=$((fooled + 1))
	else
		diag "round $done_: plain ninja after $in was rewritten in the\
 second of ${ROUND_OUT[k]}:"
		diag_last
	fi
	xnj
	if [ "$T_RC" -eq 0 ] && [ "$(ran)" = "${ROUND_WANT[k]}" ]; then
		rebuilt=$((rebuilt + 1))
	else
		diag "round $done_: exec ninja after $in was rewritten: built\
 '$(ran)', want '${ROUND_WANT[k]}'"
		diag_last
	fi
	contents_ok && right=$((right + 1))
	xnj -n
	if no_work && all_fresh; then
		clean=$((clean + 1))
	else
		diag "round $done_: exec ninja -n after the rebuild (stale by\
 write order: '$(needed)'):"
		diag_last
	fi
done
t1=$(now)
diag "$done_ rounds ($ticked retried: the second ticked) in $((t1 - t0)) ms"
is "$done_" "$rounds" \
    "$rounds rounds with an input rewritten in its output's second"
is "$fooled" "$done_" "plain ninja said no work to do in $fooled/$done_ rounds"
is "$rebuilt" "$done_" \
    "exec ninja rebuilt just what depends on it in $rebuilt/$done_ rounds"
is "$right" "$done_" \
    "outputs right after the exec build in $right/$done_ rounds"
is "$clean" "$done_" \
    "no work left, nothing stale by write order after $clean/$done_ rebuilds"

# ------------------------------------------------ 2. backwards mtimes

set_a back
touch -d 2001-01-01 a.in
nj
ok "a.in rewritten, mtime 2001: plain ninja has no work to do" no_work ||
    diag_last
xnj
is "$(ran)" "a.out" "a.in rewritten, mtime 2001: exec ninja rebuilds a.out"
set_h 77
touch -d 2001-01-01 h.h
nj
ok "h.h rewritten, mtime 2001: plain ninja has no work to do" no_work ||
    diag_last
xnj
is "$(ran)" "b.o c.o prog" \
    "h.h rewritten, mtime 2001: exec ninja rebuilds both objects and prog"
ok "mtime 2001: the outputs are right" contents_ok
xnj -n
ok "mtime 2001: exec ninja -n after the rebuild: no work to do" no_work ||
    diag_last
ok "mtime 2001: nothing stale by write order after the rebuild" all_fresh

# ------------------------------------------- 3. with and without exec

# mixed SEQ...: on a fresh tree, ninja runs in the order given (E under
# exec, P plain), two inputs changed before each run after the first.
# After each exec run: nothing left to do (exec ninja -n), nothing stale
# by write order, the outputs right.  Counts, per sequence: EXTRA_E (edges
# exec runs rebuilt that write order did not need), MISSED_E (edges they
# needed and did not rebuild), MISSED_P (the plain runs fooled), EXTRA_P,
# BUILT_E (edges exec runs rebuilt), NEXEC, BAD (exec runs that left
# work or a stale output), EXTRA_WHAT (which edges were extra) and why,
# from ninja -d explain: COST_DEPS (the mtime in .ninja_deps, written by
# a plain run, is older than the presented one), COST_LOG (the mtime in
# .ninja_log, written by a plain run, is older than an input's presented
# one), COST_DOWN (downstream of an extra edge).
SETS=(set_a set_d set_b set_c set_h)
mixed()
{
	local r n=0 k=0 need got extra missed o

	EXTRA_E=0 MISSED_E=0 EXTRA_P=0 MISSED_P=0 BUILT_E=0 NEXEC=0 BAD=0
	EXTRA_WHAT='' COST_DEPS=0 COST_LOG=0 COST_DOWN=0
	fresh_tree
	for r in "$@"; do
		n=$((n + 1))
		if [ "$n" -gt 1 ]; then
			"${SETS[k % 5]}" "$((100 + n))"
			"${SETS[(k + 2) % 5]}" "$((200 + n))"
			k=$((k + 1))
		fi
		need=
		[ "$n" -gt 1 ] && need=$(needed)
		if [ "$r" = E ]; then
			xnj -d explain	# why it rebuilt: for the costs
		else
			nj
		fi
		if [ "$T_RC" -ne 0 ]; then
			diag "run $n ($r) failed:"
			diag_last
			BAD=$((BAD + 1))
			continue
		fi
		got=$(ran)
		[ "$n" -eq 1 ] && continue	# the first build: all of it
		extra=$(minus "$got" "$need")
		missed=$(minus "$need" "$got")
		if [ "$r" = P ]; then
			EXTRA_P=$((EXTRA_P + $(wc -w <<<"$extra")))
			MISSED_P=$((MISSED_P + $(wc -w <<<"$missed")))
			continue
		fi
		NEXEC=$((NEXEC + 1))
		BUILT_E=$((BUILT_E + $(wc -w <<<"$got")))
		EXTRA_E=$((EXTRA_E + $(wc -w <<<"$extra")))
		MISSED_E=$((MISSED_E + $(wc -w <<<"$missed")))
		[ -n "$extra" ] && EXTRA_WHAT+="${EXTRA_WHAT:+; }run $n: $extra"
		for o in $extra; do
			if grep -qF "stored deps info out of date for '$o'" \
			    "$T_ERR"; then
				COST_DEPS=$((COST_DEPS + 1))
			elif grep -qF "recorded mtime of $o older" \
			    "$T_ERR"; then
				COST_LOG=$((COST_LOG + 1))
			else
				COST_DOWN=$((COST_DOWN + 1))
			fi
		done
		if [ -n "$missed" ]; then
			diag "run $n ($*): exec ninja did not rebuild\
 '$missed' (needed '$need', built '$got')"
		fi
		xnj -n
		if ! no_work; then
			BAD=$((BAD + 1))
			diag "run $n ($*): exec ninja -n after exec ninja:"
			diag_last
		elif ! all_fresh; then
			BAD=$((BAD + 1))
			diag "run $n ($*): stale by write order after exec\
 ninja: $(needed)"
		elif ! contents_ok; then
			BAD=$((BAD + 1))
			diag "run $n ($*): wrong outputs after exec ninja"
		fi
	done
}

t0=$(now)
for seq in "E E E E E E E E E" "E P E E P E E P E" "P E P P E P P E P E"; do
	# shellcheck disable=SC2086 # one run a word
	mixed $seq
	name=${seq// /}
	is "$MISSED_E" 0 "$name: exec runs rebuilt all that write order needed"
	is "$BAD" 0 "$name: after each exec run, no work left and nothing stale"
	ok "$name: after the final exec run, every output fresh by write\
 order" all_fresh
	case $name in
	EEEEEEEEE)
		is "$EXTRA_E" 0 "$name: exec alone rebuilds nothing more"
		diag "exec only ($name): $NEXEC exec runs rebuilt $BUILT_E\
 edges, $EXTRA_E more than write order needed"
		;;
	*)
		diag "what mixing costs ($name): $NEXEC exec runs rebuilt\
 $BUILT_E edges, $EXTRA_E more than write order\
 needed${EXTRA_WHAT:+ ($EXTRA_WHAT)}:\
 $COST_DEPS for the mtime a plain run left in .ninja_deps, $COST_LOG for\
 the one in .ninja_log, $COST_DOWN downstream of those;\
 the plain runs missed $MISSED_P needed edges (fooled) and rebuilt\
 $EXTRA_P unneeded"
		;;
	esac
done
t1=$(now)
diag "mixed runs: $((t1 - t0)) ms"

# ------------------------------------------- 4. ninja -n and ninja -t

# b.c rewritten in b.o's second (most likely: a plain ninja -n would
# then have nothing to do)
to_next_second
set_b 900
xnj
set_b 901
diag "b.o and b.c: $(stat -c '%n %.9Y' b.o b.c | xargs)"
before=$(stat -c '%i %.9Y' b.o prog)
xnj -n
is "$(ran)" "b.o prog" \
    "exec ninja -n after b.c changed: would build b.o and prog"
is "$(stat -c '%i %.9Y' b.o prog)" "$before" "exec ninja -n wrote nothing"
xnj -n
is "$(ran)" "b.o prog" "exec ninja -n again: still b.o and prog"
xnj
is "$(ran)" "b.o prog" "exec ninja builds b.o and prog"
xnj -t deps b.o
ok "exec ninja -t deps b.o: the deps are valid" \
    grep -q '^b\.o: #deps .*(VALID)$' "$T_OUT" || diag_last
ok "exec ninja -t deps b.o: h.h is one of them" has_line "$T_OUT" "    h.h"
for tool in "query prog" "targets all" "commands prog" "inputs prog" \
    "graph prog" "rules" "compdb" "missingdeps" "recompact" "restat"; do
	# shellcheck disable=SC2086 # the tool and its arguments
	xnj -t $tool
	ok "exec ninja -t $tool exits 0" test "$T_RC" -eq 0 || diag_last
done
xnj -n
ok "exec ninja -n after -t recompact and -t restat: no work to do" no_work ||
    diag_last
xnj -t clean
ok "exec ninja -t clean exits 0" test "$T_RC" -eq 0 || diag_last
ok "exec ninja -t clean removed the outputs" test ! -e prog -a ! -e a.out
xnj
is "$(ran)" "a.out b.o c.o d.mid d.out prog" \
    "exec ninja after -t clean builds all"
ok "and the outputs are right" contents_ok

# --------------------------------------------------------- warnings

ok "no 'future' or 'skew' warning from any ninja run" \
    not grep -Eiq 'future|skew' "$ALLERR"
ok "no warning from ninja or depcheck in any run" \
    not grep -Eq '^(ninja: warning|depcheck)' "$ALLERR"
grep -Ei 'future|skew|warning|^depcheck' "$ALLERR" | head -n 5 |
    while IFS= read -r line; do
	diag "stderr: $line"
done

diag "whole test: $(($(now) - t_start)) ms"

done_testing
