#!/usr/bin/env bash
# Area 5 (faults): kill -9 at a random moment during a burst of writes,
# many times over.  Each time `depcheck start` must take over by itself
# (stale lock and socket), a dependency written while no daemon ran must
# be stale, a target written after the restart up to date, and no seq
# handed out before the kill may be handed out again: everything after
# the restart is above every seq any reply showed before it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

KILLS=${DEPCHECK_TEST_KILLS:-20}	# rounds (one kill -9 each)
NFILES=50			# files of the burst, rewritten in turn

RANDOM=$$
diag "RANDOM seeded with $$"

# burst ROUND: writes, as fast as the shell goes, to the burst files and
# to bdep (a dependency), in the background of the round.
burst()
{
	local i

	for ((i = 0; i < 1500; i++)); do
		echo "$1 $i" >"b/f$((i % NFILES))"
		echo "$1 $i" >bdep
	done
}

# observe FILE: until the daemon stops answering, append to FILE every
# seq a reply shows (the high-water mark and each path's seq).
observe()
{
	local out=$SCRATCH/observe.json

	while depcheck_nowrap seq --json bdep b/f1 b/f2 >"$out" 2>/dev/null; do
		grep -o '"seq":[0-9]*' "$out" | cut -d : -f 2 >>"$1"
	done
}

# above VALUE MAX: VALUE is a number greater than MAX.
above()
{
	[[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt "$2" ]
}

# A random pause of 0 to 90 ms: when the kill lands in the burst.  (Fault
# injection timing, not a wait on the daemon.)
mkfifo "$SCRATCH/never"
pause()
{
	local ms=$((RANDOM % 10 * 10))

	DELAYS+=("$ms")
	[ "$ms" -eq 0 ] && return 0
	read -r -t "0.$(printf '%03d' "$ms")" _ <>"$SCRATCH/never"
	return 0
}

WRONG=0
CHECKS=0
DELAYS=()

# wrong DESC: count a failed expectation that is not an exit status.
wrong()
{
	CHECKS=$((CHECKS + 1))
	WRONG=$((WRONG + 1))
	diag "round $r: $1"
	diag_log
}

start_daemon
mkdir b
for ((i = 0; i < NFILES; i++)); do
	echo 0 >"b/f$i"
done
echo d >dep
echo d >bdep
# A sync (no sleep) before the target is written: a crawl of b/ in the
# same clock tick as the target's write could not tell their order, and
# the answer would rightly be "stale".
depcheck_nowrap seq dep >/dev/null
echo t >tgt
expect_exit -m "up to date before the first kill" 0 depcheck tgt dep bdep

t0=${EPOCHREALTIME/./}
kills=0
for ((r = 1; r <= KILLS; r++)); do
	pid=$(status_field pid)
	if [ -z "$pid" ]; then
		wrong "no pid from status"
		break
	fi
	echo "t $r" >tgt
	count_check 0 depcheck tgt dep

	seen=$SCRATCH/seen.$r
	depcheck_nowrap status | sed -n 's/^seq: //p' >"$seen"
	burst "$r" &
	bpid=$!
	observe "$seen" &
	opid=$!
	pause
	kill -9 "$pid"
	kills=$((kills + 1))
	if ! wait_gone "$pid"; then
		wrong "daemon $pid still there 10 s after kill -9"
		break
	fi
	echo "dead $r" >dep		# written after tgt, while no daemon ran
	wait "$bpid" "$opid"
	max=$(sort -n "$seen" | tail -n 1)

	run_cmd depcheck start
	if [ "$T_RC" -ne 0 ]; then
		wrong "depcheck start after kill -9 exited $T_RC"
		diag_last
		break
	fi
	pid2=$(status_field pid)
	if [ -z "$pid2" ] || [ "$pid2" = "$pid" ]; then
		wrong "after the restart: pid '$pid2' (killed: $pid)"
	fi
	[ "$(daemon_pids)" = "$pid2" ] ||
	    wrong "daemons for the root: $(daemon_pids | tr '\n' ' ')"
	high=$(status_field seq)
	above "$high" "$max" ||
	    wrong "status seq after the restart '$high' not above $max"

	count_check 1 depcheck tgt dep			# (a)
	count_check 1 depcheck tgt bdep b/f0 b/f1 b/f2
	s=$(seq_of dep)
	above "$s" "$max" ||
	    wrong "seq of dep written while dead '$s' not above $max"
	echo "t $r again" >tgt
	count_check 0 depcheck tgt dep bdep b/f0 b/f1 b/f2	# (b)
	s=$(seq_of tgt)
	above "$s" "$max" ||
	    wrong "seq of tgt after the restart '$s' not above $max"
	diag "round $r: killed $pid after ${DELAYS[-1]} ms;" \
	    "highest seq seen before: $max ($(wc -l <"$seen") seen);" \
	    "after: status seq $high, tgt $s"
done
t1=${EPOCHREALTIME/./}

is "$kills" "$KILLS" "kill -9 done $kills times"
is "$WRONG" 0 "$WRONG wrong answers of $CHECKS checks over $kills kills"
diag "$kills kills in $(((t1 - t0) / 1000)) ms;" \
    "delays (ms): ${DELAYS[*]}"

done_testing
