#!/usr/bin/env bash
# Area 9 (history): depcheck watch.  Live lines for creates, writes and
# deletes, the token line when live, PATH filters; `watch --since T`
# while a burst of 20,000 files is written: every file, no line lost or
# doubled between replay and live, the same writes as the log and as
# `since T`; `rescan overflow` after a SIGSTOP overflow; a client that
# stops reading while 50,000 writes happen: the daemon's memory stays
# bounded, other clients are served, the client gets the overrun line
# and its token resumes with nothing lost; when the daemon stops, watch
# exits 2 with the token to resume from, and the replay shows the start.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=hist.sh
. "$TEST_DIR/hist.sh"

CHECK=$TEST_DIR/histcheck.py

# The daemon is resumed whatever happens, or the clean-up would wait on it.
DPID=
resume()
{
	[ -n "$DPID" ] && kill -CONT "$DPID" 2>/dev/null
	return 0
}
at_exit resume

# now_ms: the wall clock in ms, for the timing comments.
now_ms()
{
	local t=${EPOCHREALTIME/./}

	printf '%d' "$((t / 1000))"
}

t_sec=$SECONDS
mkdir sub sub2 other
echo 0 >sub/a
start_daemon
DPID=$(status_field pid)

# ------------------------------------------------------------ live lines
W=$SCRATCH/w1
watch_bg "$W.out" "$W.err"
w1=$WATCH_PID
watch_bg "$W.json" "$W.jerr" --json
w1j=$WATCH_PID
watch_bg "$W.nul" "$W.nerr" -0 sub
w1z=$WATCH_PID
ok "watch goes live: the token line" wait_for "$W.out" "^token $TOKEN_RE\$" 10 "$w1"
ok "watch --json goes live: {\"token\":...,\"live\":true}" \
    wait_for "$W.json" '"live": ?true' 10 "$w1j"
like "$(head -n 1 "$W.out")" "^token $TOKEN_RE\$" \
    "without --since, the token line comes first"
t0=$(now_ms)
echo 1 >sub/a
ok "a rewrite: a 'written' line" wait_for "$W.out" '^[0-9]+ written sub/a$' 10 "$w1"
diag "the line came within $(($(now_ms) - t0)) ms (with a 20 ms poll)"
is "$(sed -n 's/ written sub\/a$//p' "$W.out" | tail -n 1)" "$(seq_of sub/a)" \
    "... with the seq of the write"
echo n >sub/new
ok "a create: a 'created' line" wait_for "$W.out" '^[0-9]+ created sub/new$' 10 "$w1"
ok "... and the directory's line" wait_for "$W.out" '^[0-9]+ written sub$' 10 "$w1"
rm sub/new
ok "a delete: a 'deleted' line" wait_for "$W.out" '^[0-9]+ deleted sub/new$' 10 "$w1"
ok "--json: the same delete" wait_for "$W.json" '"path": ?"sub/new"' 10 "$w1j"
# Names with a newline and a byte that is not UTF-8, through -0.
printf x >"sub/nl"$'\n'"name"
printf x >"sub/bad"$'\xff'
echo m >sub/m0
ok "-0: the write after them arrives" wait_for "$W.nul" 'created sub/m0' 10 "$w1z"
is "$(tr -cd '\n' <"$W.nul" | wc -c)" 1 \
    "-0: records end with a NUL: the one newline is the name's" ||
    diag_file "watch -0" "$W.nul"
is "$("$PY" -c 'import re, sys
recs = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
print(" ".join(re.sub(rb"^[0-9]+ ", b"", r).hex() for r in recs
      if re.match(rb"[0-9]+ created sub/(nl|bad|m0)", r)))' "$W.nul")" \
    "$(hex "created sub/nl"$'\n'"name") $(hex "created sub/bad"$'\xff') $(hex "created sub/m0")" \
    "-0: the exact bytes of each created name, in order" ||
    diag_file "watch -0" "$W.nul"
watch_stop "$w1z"
watch_stop "$w1"
watch_stop "$w1j"
"$PY" "$CHECK" json watch "$W.json" >"$SCRATCH/res"
py_results "$SCRATCH/res"
grep -F '"sub/new"' "$W.json" >"$SCRATCH/new.json"
is "$("$PY" -c 'import json,sys
print(" ".join("%s:%s" % (o["what"], o["exists"]) for o in
      map(json.loads, open(sys.argv[1]))))' "$SCRATCH/new.json")" \
    "created:True deleted:False" "--json: created exists, deleted does not"

diag "section took $((SECONDS - t_sec)) s"; t_sec=$SECONDS
# --------------------------------------------------------------- filters
W=$SCRATCH/w2
T=$(token_now "")
watch_bg "$W.out" "$W.err" sub other/f
w2=$WATCH_PID
cd "$ROOT/sub" || exit 1
watch_bg "$W.sub" "$W.suberr" . ../other/f
w2s=$WATCH_PID
cd "$ROOT" || exit 1
ok "filtered watches go live" wait_for "$W.out" "^token " 10 "$w2" &&
    wait_for "$W.sub" "^token " 10 "$w2s"
echo x >sub/x
echo y >sub2/y
echo f >other/f
echo g >other/g
echo t >top
echo z >sub/zz
ok "a filtered watch: the last write under its PATH" \
    wait_for "$W.out" '^[0-9]+ created sub/zz$' 10 "$w2"
ok "a filtered watch from a subdirectory: the same" \
    wait_for "$W.sub" '^[0-9]+ created sub/zz$' 10 "$w2s"
watch_stop "$w2"
watch_stop "$w2s"
# The same filter on a replay of those writes.
watch_bg "$W.replay" "$W.rerr" --since "$T" sub other/f
w2r=$WATCH_PID
ok "a filtered replay goes live" wait_for "$W.replay" "^token " 10 "$w2r"
watch_stop "$w2r"
for f in "$W.out" "$W.sub" "$W.replay"; do
	is "$(sed -n 's/^[0-9]* [a-z]* //p' "$f" | LC_ALL=C sort -u |
	    tr '\n' ' ')" "other/f sub sub/x sub/zz " \
	    "PATH filter ($(basename "$f")): paths equal to or under sub and other/f, relative to the root" ||
	    diag_file watch "$f"
done
expect_exit -m "a PATH outside the root: exit 2" 2 depcheck watch /
like "$(cat "$T_ERR")" '^depcheck: ' "... with a 'depcheck: ' line"

diag "section took $((SECONDS - t_sec)) s"; t_sec=$SECONDS
# ---------------------- since and watch under a burst of 20,000 files
mkdir burst
T=$(token_now "")
like "$T" "^$TOKEN_RE\$" "a token before the burst"
burst --pace 200 --mark 4000 "$SCRATCH/half" --names "$SCRATCH/burst.names" \
    burst 20000 &
bpid=$!
for ((i = 0; i < 500; i++)); do		# the writer's mark, bounded
	[ -e "$SCRATCH/half" ] && break
	sleep 0.02
done
W=$SCRATCH/w3
t0=$(now_ms)
watch_bg "$W.out" "$W.err" --since "$T"
w3=$WATCH_PID
wait "$bpid"
echo m >marker
S=$(seq_of marker)
ok "watch --since T: the write after the burst (seq $S) arrives" \
    wait_for "$W.out" "^$S [a-z]+ marker\$" 30 "$w3"
diag "burst of 20,000 files and the stream: $(($(now_ms) - t0)) ms"
watch_stop "$w3"
run_cmd depcheck log
cp "$T_OUT" "$SCRATCH/log3"
is "$T_RC" 0 "depcheck log exits 0"
since_ok "since T after the burst: well-formed" "$T"
"$PY" "$CHECK" stream "$W.out" "$SCRATCH/log3" "$SCRATCH/since.out" \
    "$SCRATCH/burst.names" "$(seq_part "$T")" "$S" >"$SCRATCH/res"
py_results "$SCRATCH/res"

diag "section took $((SECONDS - t_sec)) s"; t_sec=$SECONDS
# ---------------------------------------------- rescan after an overflow
W=$SCRATCH/w4
watch_bg "$W.out" "$W.err"
w4=$WATCH_PID
watch_bg "$W.json" "$W.jerr" --json
w4j=$WATCH_PID
wait_for "$W.out" "^token " 10 "$w4" && wait_for "$W.json" '"live"' 10 "$w4j"
mkdir -p ov/w0 ov/w1 ov/w2 ov/w3
depcheck_nowrap seq ov/w3 >/dev/null	# watched before the daemon stops
ov0=$(status_field overflows)
kill -STOP "$DPID"
burst --dirs 4 --names "$SCRATCH/ov.names" ov 40000
kill -CONT "$DPID"
echo m2 >marker
S=$(seq_of marker)
ok "after the overflow, the stream goes on (seq $S)" \
    wait_for "$W.out" "^$S [a-z]+ marker\$" 30 "$w4"
ok "--json: the same" wait_for "$W.json" "\"seq\": ?$S,.*\"marker\"" 30 "$w4j"
for f in "$W.err" "$W.jerr"; do
	[ -s "$f" ] && diag_file "stderr of a watch" "$f"
done
watch_stop "$w4"
watch_stop "$w4j"
ov1=$(status_field overflows)
ok "the inotify queue overflowed (status overflows $ov0 -> $ov1)" \
    test "${ov1:-0}" -gt "${ov0:-0}"
"$PY" "$CHECK" rescan "$W.out" "$SCRATCH/ov.names" overflow >"$SCRATCH/res"
py_results "$SCRATCH/res"
ok "--json: {\"event\":\"rescan\",\"cause\":\"overflow\"}" \
    grep -qE '"event": ?"rescan".*"cause": ?"overflow"' "$W.json"
"$PY" "$CHECK" json watch "$W.json" >"$SCRATCH/res"
py_results "$SCRATCH/res"

diag "section took $((SECONDS - t_sec)) s"; t_sec=$SECONDS
# --------------------------------- a client that never reads: 50,000 writes
# Long names (240 bytes): the 50,000 writes are ~13 MB of stream, far
# more than the daemon may hold for one reader (~1 MiB) and than the
# socket and pipe buffers; a daemon that kept it all would grow as much.
burst --len 240 --names "$SCRATCH/long.names" long 50000
echo d >dep
# A sync between the two: if the burst overflowed the queue (a slow
# daemon, as under the sanitizers on a loaded machine), a rescan would
# give both writes of one ctime tick the same seq: stale both ways.
depcheck_nowrap seq dep >/dev/null
echo t >tgt
expect_exit -m "after the files are made, a check answers" 0 depcheck tgt dep
rss0=$(rss_kb "$DPID")
mkfifo "$SCRATCH/go"
W=$SCRATCH/w5
# The reader: nothing until go is opened and closed, then everything.
{
	watch_cmd --json 2>"$W.err" | "$PY" -c '
import shutil, sys
open(sys.argv[1]).read()
shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)' "$SCRATCH/go" \
	    >"$W.out"
	echo "${PIPESTATUS[0]}" >"$W.rc"
} &
w5=$!
at_exit kill_quiet "$w5"
ok "the watcher that never reads is subscribed (status watchers 1)" \
    wait_watchers 1
t0=$(now_ms)
burst --len 240 --data again long 50000 &
bpid=$!
WRONG=0
CHECKS=0
rounds=0
while alive "$bpid"; do
	echo d >dep
	count_check 1 depcheck tgt dep
	echo t >tgt
	count_check 0 depcheck tgt dep
	rounds=$((rounds + 1))
done
wait "$bpid"
expect_exit -m "after the 50,000 writes, a check answers" 0 depcheck tgt dep
diag "50,000 rewrites: $(($(now_ms) - t0)) ms, $rounds check rounds meanwhile"
is "$WRONG" 0 "checks during the 50,000 writes: $WRONG wrong of $CHECKS"
ok "checks were answered during the 50,000 writes ($CHECKS)" \
    test "$CHECKS" -ge 2
rss1=$(rss_kb "$DPID")
diag "daemon VmRSS: $rss0 kB before, $rss1 kB after" \
    "($(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$DPID/status") peak)"
ok "daemon memory bounded: VmRSS grew by $((rss1 - rss0)) kB (< 8 MiB)" \
    test "$((rss1 - rss0))" -lt 8192
ok "the reader was dropped (status watchers 0)" wait_watchers 0
echo go >"$SCRATCH/go"
for ((i = 0; i < 1000; i++)); do		# bounded: the client ends
	[ -s "$W.rc" ] && break
	sleep 0.02
done
is "$(cat "$W.rc" 2>/dev/null)" 2 "the reader's watch exits 2"
tok=$(sed -n 's/.*--since \([0-9a-f]*:[0-9]*\).*/\1/p' "$W.err")
like "$(cat "$W.err")" "^depcheck: .*fell behind.*resume with --since $TOKEN_RE" \
    "stderr: fell behind, resume with --since TOKEN" || diag_file err "$W.err"
like "$(tail -n 1 "$W.out")" "^\\{\"overrun\": ?true, ?\"token\": ?\"$tok\"\\}\$" \
    "the last line: {\"overrun\":true,\"token\":T}, T as on stderr"
W=$SCRATCH/w6
watch_bg "$W.out" "$W.err" --since "$tok"
w6=$WATCH_PID
echo m3 >marker
S=$(seq_of marker)
ok "watch --since the overrun's token: replays up to now (seq $S)" \
    wait_for "$W.out" "^$S [a-z]+ marker\$" 30 "$w6"
watch_stop "$w6"
"$PY" "$CHECK" overrun "$SCRATCH/w5.out" "$W.out" "$SCRATCH/long.names" \
    >"$SCRATCH/res"
py_results "$SCRATCH/res"

diag "section took $((SECONDS - t_sec)) s"; t_sec=$SECONDS
# ------------------------------------------------------ the daemon stops
W=$SCRATCH/w7
watch_bg "$W.out" "$W.err"
w7=$WATCH_PID
wait_for "$W.out" "^token " 10 "$w7"
expect_exit -m "depcheck stop" 0 depcheck stop
DPID=
ok "watch ends when the daemon stops" wait_exit "$w7"
is "$WAIT_RC" 2 "... with exit status 2"
# The contract had "daemon ... stopped"; the client cannot tell a stop
# from a crash (the connection just closes) and says it lost the daemon.
like "$(cat "$W.err")" "^depcheck: .*daemon.*--since $TOKEN_RE" \
    "... and says: the daemon is gone, resume with --since TOKEN"
is "$(nlines "$W.err")" 1 "... on one line"
tok=$(sed -n 's/.*--since \([0-9a-f]*:[0-9]*\).*/\1/p' "$W.err")
echo changed >sub/a			# while no daemon runs
start_daemon
DPID=$(status_field pid)
W=$SCRATCH/w8
watch_bg "$W.out" "$W.err" --since "$tok"
w8=$WATCH_PID
ok "watch --since the stop's token: goes live" wait_for "$W.out" "^token " 10 "$w8"
sed -n '/^token /q;p' "$W.out" | sed 's/^[0-9]* //' >"$SCRATCH/replay"
is "$(tr '\n' ' ' <"$SCRATCH/replay")" "start restamped sub/a " \
    "the replay: the start marker, then the file changed while stopped" ||
    diag_file watch "$W.out"

# kill -9: the connection just ends; watch must not end quietly.
kill -9 "$DPID"
DPID=
ok "watch ends after kill -9 of the daemon" wait_exit "$w8"
is "$WAIT_RC" 2 "... with exit status 2"
like "$(cat "$W.err")" "^depcheck: .*--since $TOKEN_RE" \
    "... and the token to resume from"

diag "section took $((SECONDS - t_sec)) s"
done_testing
