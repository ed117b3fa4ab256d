#!/usr/bin/env bash
# Area 5 (faults): load.  64 clients at once, each in a loop over its own
# pair (t_i, d_i): write d_i, check (stale), write t_i, check (up to
# date), while a writer keeps writing other files.  Every answer must be
# right.  The daemon's memory (VmRSS) and open descriptors must stay
# bounded: a first burst may grow them a little, a second, longer burst
# must not grow them further (leaks, unbounded queues).
# DEPCHECK_TEST_ROUNDS sets the rounds of the first burst (20; 5 under
# DEPCHECK_TEST_WRAP, 8 on an ASan build); the second has twice as many.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NCLIENTS=64
NNOISE=100			# files the writer writes, in turn
rounds=${DEPCHECK_TEST_ROUNDS:-20}
[ -n "$DEPCHECK_TEST_WRAP" ] && [ -z "$DEPCHECK_TEST_ROUNDS" ] && rounds=5

# An ASan build: every client runs several times slower (fewer rounds),
# and freed memory waits in a quarantine of up to 256 MiB, which would
# read as growth (a small one for this test).
if grep -qa __asan_init "$DEPCHECK_BINDIR/depcheckd"; then
	[ -z "$DEPCHECK_TEST_ROUNDS" ] && rounds=8
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
fi

# now: the wall clock in ms, for the timing comments.
now()
{
	local t=${EPOCHREALTIME/./}

	printf '%d' "$((t / 1000))"
}

# rss PID: the resident set of PID, in kB.
rss()
{
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# nfds PID: the number of descriptors PID holds open.
nfds()
{
	local fds=("/proc/$1/fd/"*)

	printf '%d' "${#fds[@]}"
}

# writer STOPFILE MAX: write the noise files in turn (some at the top,
# some in a subdirectory), MAX writes at most, until STOPFILE exists; a
# short pause every 50 writes leaves the two cores to the clients and the
# daemon.  Prints the number of writes.
writer()
{
	local k

	for ((k = 1; k <= $2; k++)); do
		if ((k % 2)); then
			echo "$k" >"noise/w$((k % NNOISE))"
		else
			echo "$k" >"w$((k % NNOISE))"
		fi
		if ((k % 50 == 0)); then
			[ -e "$1" ] && break
			sleep 0.01	# pacing the writer, not waiting on the daemon
		fi
	done
	printf '%d\n' "$((k > $2 ? $2 : k))"
}

# note WHAT: a wrong answer of client(), with its stderr, on one line.
note()
{
	printf 'client %d round %d: %s: %s\n' "$i" "$r" "$1" \
	    "$(head -c 300 "$err" | tr '\n' ' ')" >>"$out"
}

# client I ROUNDS: the loop over pair I; wrong answers go to
# SCRATCH/wrong.I, one line each, and the number of checks made to
# SCRATCH/checks.I.
client()
{
	local i=$1 n=$2 r checks=0 rc
	local out=$SCRATCH/wrong.$i err=$SCRATCH/err.$i

	: >"$out"
	for ((r = 1; r <= n; r++)); do
		echo "$r" >"d_$i"
		depcheck "t_$i" "d_$i" >/dev/null 2>"$err"
		rc=$?
		checks=$((checks + 1))
		[ "$rc" -eq 1 ] || note "d_$i written: expected 1, got $rc"
		echo "$r" >"t_$i"
		depcheck "t_$i" "d_$i" >/dev/null 2>"$err"
		rc=$?
		checks=$((checks + 1))
		[ "$rc" -eq 0 ] || note "t_$i written: expected 0, got $rc"
	done
	printf '%d\n' "$checks" >"$SCRATCH/checks.$i"
}

# burst NAME ROUNDS: the writer and the NCLIENTS clients at once; one ok
# line for the answers.
burst()
{
	local name=$1 n=$2 i t0 t1 wpid pids=() wrong checks=0 writes c

	rm -f "$SCRATCH"/wrong.* "$SCRATCH"/checks.* "$SCRATCH/stop"
	t0=$(now)
	writer "$SCRATCH/stop" 20000 >"$SCRATCH/writes" &
	wpid=$!
	for ((i = 0; i < NCLIENTS; i++)); do
		client "$i" "$n" &
		pids+=("$!")
	done
	wait "${pids[@]}"
	t1=$(now)
	: >"$SCRATCH/stop"
	wait "$wpid"
	writes=$(cat "$SCRATCH/writes")
	cat "$SCRATCH"/wrong.* >"$SCRATCH/wrong" 2>/dev/null
	wrong=$(nlines "$SCRATCH/wrong")
	for ((i = 0; i < NCLIENTS; i++)); do
		c=$(cat "$SCRATCH/checks.$i" 2>/dev/null)
		checks=$((checks + ${c:-0}))
	done
	diag "$name: $NCLIENTS clients x $n rounds: $checks checks in\
 $((t1 - t0)) ms, $writes other writes meanwhile"
	if ! is "$wrong" 0 "$name: $wrong wrong answers of $checks checks"; then
		diag_file "wrong answers" "$SCRATCH/wrong"
		diag_log
	fi
	is "$checks" $((NCLIENTS * n * 2)) "$name: every check made"
}

start_daemon
PID=$(status_field pid)
like "$PID" '^[1-9][0-9]*$' "status gives the pid"
mkdir noise
for ((i = 0; i < NNOISE; i++)); do
	echo 0 >"w$i"
	echo 0 >"noise/w$i"
done
for ((i = 0; i < NCLIENTS; i++)); do
	echo 0 >"d_$i"
done
for ((i = 0; i < NCLIENTS; i++)); do
	echo 0 >"t_$i"
done
expect_exit -m "the pairs written and seen: up to date" \
    0 depcheck t_0 d_0 "d_$((NCLIENTS - 1))"
rss0=$(rss "$PID")
fds0=$(nfds "$PID")
diag "before the load: VmRSS $rss0 kB, $fds0 descriptors,\
 records $(status_field records), seq $(status_field seq)"

burst "burst 1" "$rounds"
ok "the daemon ($PID) is alive after burst 1" alive "$PID"
is "$(status_field pid)" "$PID" "the same daemon answers"
rss1=$(rss "$PID")
diag "after burst 1: VmRSS $rss1 kB (+$((rss1 - rss0)) kB),\
 records $(status_field records), seq $(status_field seq)"
ok "VmRSS after burst 1 ($rss1 kB) < before ($rss0 kB) + 64 MiB" \
    test "$rss1" -lt $((rss0 + 65536))

burst "burst 2" $((rounds * 2))
ok "the daemon ($PID) is alive after burst 2" alive "$PID"
rss2=$(rss "$PID")
diag "after burst 2: VmRSS $rss2 kB (+$((rss2 - rss1)) kB on burst 1),\
 records $(status_field records), seq $(status_field seq),\
 overflows $(status_field overflows)"
ok "VmRSS after burst 2 ($rss2 kB) < after burst 1 ($rss1 kB) + 8 MiB" \
    test "$rss2" -lt $((rss1 + 8192))

# The clients have exited, but the daemon may not have read the end of
# each connection yet: poll (2 s at most) for the descriptors to go.
for ((i = 0; i < 200; i++)); do
	fds2=$(nfds "$PID")
	[ "$fds2" -le $((fds0 + 2)) ] && break
	sleep 0.01
done
diag "descriptors: $fds0 before, $fds2 after"
ok "no descriptors leaked ($fds0 before, $fds2 after)" \
    test "$fds2" -le $((fds0 + 2))
expect_exit -m "after the load: pair 0 up to date" 0 depcheck t_0 d_0
echo x >d_0
expect_exit -m "after the load: d_0 written: stale" 1 depcheck t_0 d_0

done_testing
