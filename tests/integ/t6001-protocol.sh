#!/usr/bin/env bash
# Area 6 (security): bad input on the socket, sent byte by byte with
# rawsock.py.  Each gets the error reply proto/PROTOCOL.md gives it (code
# and message), the connection is closed or kept as the table there says,
# the log has one line for it, and the daemon goes on serving everyone
# else: `depcheck status` answers and a check gives the right verdict
# after every case.  Also: clients that send nothing, half a frame, or
# one byte at a time (closed after --idle-timeout), a client that never
# reads its replies (dropped at 4 MiB queued), more clients than
# --max-connections, and 200 connections of random bytes.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -n "$PY" ] || skip_all "no python3 for the raw socket tests"
RAWSOCK=$TEST_DIR/rawsock.py
IDLE=1000		# --idle-timeout, ms
MAXCONN=4		# --max-connections

start_depcheckd --max-connections "$MAXCONN" --idle-timeout "$IDLE"
SOCK=$(status_field socket)
LOG=$ROOT/.depcheck/depcheckd.log
DPID=$(status_field pid)
[ -S "$SOCK" ] || give_up "no socket at '$SOCK'"
echo c >dep.c
echo o >dep.o

# raw ACTION...: rawsock.py on a new connection; its output, with the
# varying numbers taken out (the daemon's pid, milliseconds waited, seqs),
# in the file $SCRATCH/raw.
raw()
{
	timeout -k 5 120 "$PY" "$RAWSOCK" "$SOCK" "$@" >"$SCRATCH/raw.full" \
	    2>&1
	sed -e 's/^HELLO_OK \([0-9]*\) [0-9]*$/HELLO_OK \1/' \
	    -e 's/^\(EOF\|TIMEOUT\|RESET\) [0-9]*$/\1/' \
	    -e 's/^RECORDS [0-9]* /RECORDS /' \
	    "$SCRATCH/raw.full" >"$SCRATCH/raw"
}

LOG_MARK=0
log_mark()
{
	LOG_MARK=$(nlines "$LOG")
}

# The lines the log gained since log_mark.
log_new()
{
	tail -n "+$((LOG_MARK + 1))" "$LOG"
}

# log_once DESC TEXT: since log_mark, the log gained exactly one line,
# and it holds TEXT (with TEXT empty: the log gained nothing).
log_once()
{
	local new

	new=$(log_new)
	if [ -z "$2" ]; then
		is "$new" "" "$1: nothing logged"
		return
	fi
	if [ "$(printf '%s\n' "$new" | grep -c .)" -eq 1 ] &&
	    [[ $new == *"$2"* ]]; then
		pass "$1: logged once"
	else
		fail "$1: logged once" "want one new log line with: $2" \
		    "new log lines:" "$new"
	fi
}

# still_serves DESC: the same daemon answers status, and a check gives
# the right answer (stale and up to date in turn).  Under a
# DEPCHECK_TEST_WRAP (valgrind) only the check runs wrapped: ~130 runs of
# the client would take a minute.
N_SERVE=0
still_serves()
{
	local status=depcheck

	[ -n "$DEPCHECK_TEST_WRAP" ] && status=depcheck_nowrap
	N_SERVE=$((N_SERVE + 1))
	run_cmd "$status" status
	if [ "$T_RC" -eq 0 ] && has_line "$T_OUT" "pid: $DPID"; then
		pass "after $1: the daemon (pid $DPID) answers status"
	else
		fail "after $1: the daemon (pid $DPID) answers status"
		diag_last
	fi
	if ((N_SERVE % 2)); then
		echo "$N_SERVE" >dep.c
		expect_exit -m "after $1: a check says stale" \
		    1 depcheck dep.o dep.c
	else
		echo o >dep.o
		expect_exit -m "after $1: a check says up to date" \
		    0 depcheck dep.o dep.c
	fi
}

# bad DESC WANT LOGTEXT ACTION...: one exchange on a new connection: the
# replies are WANT (one line each, EOF where the daemon closed), the log
# gained one line holding LOGTEXT (none if empty), the daemon serves on.
bad()
{
	local desc=$1 want=$2 logtext=$3

	shift 3
	log_mark
	raw "$@"
	if ! is "$(cat "$SCRATCH/raw")" "$want" "$desc: the reply"; then
		diag_file "rawsock output" "$SCRATCH/raw.full"
	fi
	log_once "$desc" "$logtext"
	still_serves "$desc"
}

# A frame, as rawsock.py's send: action reads it.
# The version this tree speaks, from the contract itself.
PV=$(awk '$1 == "#define" && $2 == "PROTO_VERSION" { print $3 }' \
    "$TEST_DIR/../../proto/proto.h")
HELLO_OK="HELLO_OK $PV"
MALFORMED='ERROR 1'
TOOLONG='message longer than the protocol allows'

# ---------------------------------------------------------------- garbage

bad "an HTTP request" "$MALFORMED $TOOLONG"$'\nEOF' \
    "$TOOLONG (790644820 bytes): closing the connection" \
    'send:b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"' read eof:5
bad "eight bytes of 0xff" "$MALFORMED $TOOLONG"$'\nEOF' \
    "$TOOLONG (4294967295 bytes): closing the connection" \
    'send:b"\xff" * 8' read eof:5

# ---------------------------------------------------------------- handshake

bad "a PING before HELLO" $'ERROR 7 expected hello\nEOF' \
    "ping before hello: closing the connection" \
    'send:frame(204)' read eof:5
bad "a QUERY before HELLO" $'ERROR 7 expected hello\nEOF' \
    "query before hello: closing the connection" \
    'send:query(0, [b"dep.c"])' read eof:5
bad "an unknown type before HELLO" $'ERROR 7 expected hello\nEOF' \
    "before hello: closing the connection" \
    'send:frame(999)' read eof:5
bad "a STOP before HELLO" $'ERROR 7 expected hello\nEOF' \
    "stop before hello: closing the connection" \
    'send:frame(302)' read eof:5
ok "a STOP before HELLO did not stop the daemon" alive "$DPID"

for v in 1 $((PV - 1)) $((PV + 1)) 0 4294967295; do
	msg="daemon speaks protocol $PV, this client $v (run: depcheck stop; depcheck start)"
	bad "HELLO with protocol version $v" $'ERROR 2 '"$msg"$'\nEOF' \
	    "$msg" "hello:$v" read eof:5
done
bad "a HELLO with no client name" "$MALFORMED malformed hello"$'\nEOF' \
    "malformed hello: closing the connection" \
    'send:frame(100, u32(2))' read eof:5
bad "a HELLO with a 257-byte client name" \
    "$MALFORMED malformed hello"$'\nEOF' \
    "malformed hello: closing the connection" \
    'send:hello(2, b"n" * 257)' read eof:5
bad "a HELLO with a trailing byte" "$MALFORMED malformed hello"$'\nEOF' \
    "malformed hello: closing the connection" \
    'send:frame(100, u32(2) + bs(b"x") + b"!")' read eof:5

# ---------------------------------------------------------------- unknown

bad "unknown request 999, then PING and a QUERY on the same connection" \
    "$HELLO_OK"$'\nERROR 3 unknown request 999\nPONG\nRECORDS 1 1:'"$(seq_of dep.c)" \
    "unknown request 999" \
    hello read 'send:frame(999)' read 'send:frame(204)' read \
    'send:query(0, [b"dep.c"])' read
bad "unknown request 4294967295 with a payload, then PING" \
    "$HELLO_OK"$'\nERROR 3 unknown request 4294967295\nPONG' \
    "unknown request 4294967295" \
    hello read 'send:frame(0xffffffff, b"junk")' read 'send:frame(204)' read
bad "a reply type (ERROR, 900) sent as a request, then PING" \
    "$HELLO_OK"$'\nERROR 3 unknown request 900\nPONG' \
    "unknown request 900" \
    hello read 'send:frame(900, u32(1) + bs(b"x"))' read 'send:frame(204)' read
bad "an unknown request of exactly 1 MiB, then PING" \
    "$HELLO_OK"$'\nERROR 3 unknown request 999\nPONG' \
    "unknown request 999" \
    hello read 'send:frame(999, b"z" * (1024 * 1024))' read \
    'send:frame(204)' read

# ---------------------------------------------------------------- empty

# A request whose payload is empty (PROTOCOL.md) with one byte, or a u64,
# is malformed, answered and closed like any other; the STOP is not
# obeyed (issue 10: PING, STATUS and STOP were answered 205, 301, 303).
for m in PING:ping STATUS:status STOP:stop SYNC:sync; do
	for p in 'b"x"' 'u64(0)'; do
		bad "a ${m%%:*} with the payload $p" \
		    "$HELLO_OK"$'\n'"$MALFORMED ${m#*:} has a payload"$'\nEOF' \
		    "malformed ${m#*:}: ${m#*:} has a payload" \
		    hello read "send:frame(${m%%:*}, $p)" read eof:5
	done
done
ok "a STOP with a payload did not stop the daemon" alive "$DPID"

# ---------------------------------------------------------------- QUERY

# query_bad DESC CAUSE PAYLOAD-EXPR: a malformed QUERY after HELLO.
query_bad()
{
	bad "QUERY with $1" "$HELLO_OK"$'\n'"$MALFORMED $2"$'\nEOF' \
	    "malformed query: $2" hello read "send:frame(200, $3)" read eof:5
}

NOTCANON='query path is not a canonical relative path'
query_bad "a NUL in a path" "$NOTCANON" 'u32(1) + u32(1) + bs(b"dep\0.c")'
query_bad "a '..' component" "$NOTCANON" 'u32(1) + u32(1) + bs(b"a/../dep.c")'
query_bad "the path '..'" "$NOTCANON" 'u32(0) + u32(1) + bs(b"..")'
query_bad "a leading '/'" "$NOTCANON" 'u32(0) + u32(1) + bs(b"/etc/passwd")'
query_bad "a trailing '/'" "$NOTCANON" 'u32(0) + u32(1) + bs(b"dep.c/")'
query_bad "an empty component" "$NOTCANON" 'u32(0) + u32(1) + bs(b"a//dep.c")'
query_bad "a '.' component" "$NOTCANON" 'u32(0) + u32(1) + bs(b"./dep.c")'
query_bad "a bad path after a good one" "$NOTCANON" \
    'u32(0) + u32(2) + bs(b"dep.c") + bs(b"../x")'
query_bad "a 4096-byte path" "query path truncated or too long" \
    'u32(0) + u32(1) + bs(b"p" * 4096)'
query_bad "a path length past the payload" \
    "query path truncated or too long" 'u32(0) + u32(1) + u32(5) + b"ab"'
query_bad "4097 paths" "query has too many paths" \
    'u32(1) + u32(4097) + bs(b"dep.c") * 4097'
query_bad "a count of 4294967295 and no paths" "query has too many paths" \
    'u32(0) + u32(0xffffffff)'
query_bad "a count of 2 and one path" "query path truncated or too long" \
    'u32(0) + u32(2) + bs(b"dep.c")'
query_bad "trailing bytes" "query has trailing bytes" \
    'u32(0) + u32(1) + bs(b"dep.c") + b"\0"'
query_bad "unknown flag 0x2" "query has unknown flags" \
    'u32(2) + u32(1) + bs(b"dep.c")'
query_bad "unknown flag 0x80000000" "query has unknown flags" \
    'u32(0x80000001) + u32(1) + bs(b"dep.c")'
query_bad "only flags (4 bytes)" "query too short" 'u32(0)'
query_bad "no payload" "query too short" 'b""'

# The bounds themselves are fine.
log_mark
raw hello read 'send:query(1, [b"p" * 4095])' read \
    'send:query(1, [b"dep.c"] * 4096)' read 'send:query(0, [b""])' read \
    'send:query(0, [])' read 'send:frame(204)' read
# (RECORDS N, then each record's state: 0 missing, 1 exists)
is "$(sed 's/ \([0-9]\):[0-9]*/ \1/g' "$SCRATCH/raw")" \
    "$HELLO_OK"$'\nRECORDS 1 0\nRECORDS 4096 1 1 ... 1\nRECORDS 1 1\nRECORDS 0\nPONG' \
    "a 4095-byte path, 4096 paths, the root ('') and no path are answered" ||
    diag_file "rawsock output" "$SCRATCH/raw.full"
log_once "queries at the bounds" ""

# ---------------------------------------------------------------- RUN_DONE

# A RUN_DONE names a relpath too: the same canonical form (PROTOCOL.md,
# "A relpath is ..."), or the daemon records a build for a name no file
# of the root has.
for p in '../outside' '/etc/passwd' 'dep.o\0junk' 'a//b'; do
	log_mark
	raw hello read "send:frame(210, bs(b\"$p\") + u64(2) + u32(0))" read \
	    eof:2
	like "$(tail -n +2 "$SCRATCH/raw" | tr '\n' '|')" "^ERROR 1 .*\|EOF\|$" \
	    "RUN_DONE for the relpath '$p': malformed, closed" ||
	    diag_file "rawsock output" "$SCRATCH/raw.full"
	like "$(log_new)" "W malformed" "RUN_DONE for '$p': logged"
done
still_serves "RUN_DONE with bad relpaths"
bad "a RUN_DONE with its status missing" \
    "$HELLO_OK"$'\n'"$MALFORMED malformed run-done"$'\nEOF' \
    "malformed run-done" \
    hello read 'send:frame(210, bs(b"dep.o") + u64(2))' read eof:5

# ---------------------------------------------------------------- bounds

bad "a header of 1 MiB + 1 after HELLO" \
    "$HELLO_OK"$'\n'"$MALFORMED $TOOLONG"$'\nEOF' \
    "$TOOLONG (1048577 bytes): closing the connection" \
    hello read 'send:u32(204) + u32(1024 * 1024 + 1)' read eof:5
bad "a header of 1 MiB + 1 before HELLO" "$MALFORMED $TOOLONG"$'\nEOF' \
    "$TOOLONG (1048577 bytes): closing the connection" \
    'send:u32(100) + u32(1024 * 1024 + 1)' read eof:5
bad "a QUERY header of 4 GiB - 1 after HELLO" \
    "$HELLO_OK"$'\n'"$MALFORMED $TOOLONG"$'\nEOF' \
    "$TOOLONG (4294967295 bytes): closing the connection" \
    hello read 'send:u32(200) + u32(0xffffffff)' read eof:5

# ---------------------------------------------------------------- truncated

bad "half a header, then EOF" "EOF" "" 'send:b"\0\0\0"' shutwr eof:5
bad "HELLO, half a QUERY, then EOF" "$HELLO_OK"$'\nEOF' "" \
    hello read 'send:query(1, [b"dep.c", b"dep.o"])[:-5]' shutwr eof:5
bad "HELLO cut short, then EOF" "EOF" "" 'send:hello()[:-1]' shutwr eof:5

# ---------------------------------------------------------------- idle

# idle DESC LOGTEXT ACTION...: the daemon closes the connection after
# about IDLE ms (a blocking read, bounded at 5 x IDLE, waits for it).
idle()
{
	local desc=$1 logtext=$2 ms

	shift 2
	log_mark
	raw "$@" "eof:$((IDLE * 5 / 1000))"
	ms=$(sed -n 's/^EOF \([0-9]*\)$/\1/p' "$SCRATCH/raw.full")
	if [ -n "$ms" ] && [ "$ms" -ge $((IDLE * 9 / 10)) ] &&
	    [ "$ms" -lt $((IDLE * 5)) ]; then
		pass "$desc: closed after the idle timeout ($ms ms)"
	else
		fail "$desc: closed after the idle timeout" \
		    "want EOF after $IDLE to $((IDLE * 5)) ms"
		diag_file "rawsock output" "$SCRATCH/raw.full"
	fi
	log_once "$desc" "$logtext"
	still_serves "$desc"
}

NOHELLO="a client sent no hello for $IDLE ms: closing the connection"
NOREQ="a client sent no request for $IDLE ms: closing the connection"
idle "a client that sends nothing" "$NOHELLO"
idle "a client that sends half a header" "$NOHELLO" 'send:b"\0\0\0\x64"'
idle "a client that sends 6 bytes of text" "$NOHELLO" 'send:b"hello\n"'
idle "a client that sends HELLO, then nothing" "$NOREQ" hello read
idle "a client that sends HELLO and half a QUERY" "$NOREQ" \
    hello read 'send:query(0, [b"dep.c"])[:12]'

# A byte every IDLE/4 ms does not keep a connection open: only whole
# requests count.
log_mark
raw "trickle:$((IDLE / 4)):40"
like "$(cat "$SCRATCH/raw")" '^CLOSED [0-9]$' \
    "a client sending a byte every $((IDLE / 4)) ms is closed within a few bytes" ||
    diag_file "rawsock output" "$SCRATCH/raw.full"
log_once "the trickling client" "$NOHELLO"
still_serves "the trickling client"

# ---------------------------------------------------------------- unread

log_mark
raw hello read flood:300:20
like "$(tail -n 1 "$SCRATCH/raw")" '^CLOSED (EPIPE|ECONNRESET)$' \
    "a client that sends STATUS forever and reads nothing is dropped" ||
    diag_file "rawsock output" "$SCRATCH/raw.full"
log_once "the client that does not read" \
    "a client does not read its replies ("
still_serves "the client that does not read"
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$DPID/status")
diag "daemon RSS after the unread replies: $rss kB"

# ---------------------------------------------------------------- busy

BUSY="depcheck: daemon for '$ROOT': the daemon has too many connections (try again)"
log_mark
coproc HOLD { timeout -k 5 60 "$PY" "$RAWSOCK" "$SOCK" --hold 6 2>&1; }
hold_out=
while IFS= read -r -t 10 -u "${HOLD[0]}" line; do
	[ "$line" = READY ] && break
	hold_out+=$line$'\n'
done
hold_out=$(printf '%s' "$hold_out" | sed "s/^\([0-9]: HELLO_OK $PV\) [0-9]*\$/\1/")
is "$hold_out" "$(printf '%s\n' 0 1 2 3 | sed "s/\$/: HELLO_OK $PV/"
    printf '%s\n' "4: ERROR 5 the daemon has too many connections (try again)" \
	'4: EOF' \
	"5: ERROR 5 the daemon has too many connections (try again)" \
	'5: EOF')" \
    "6 connections with --max-connections 4: the last 2 get error 5, closed"
# Once they have pinged: a keepalive is not a request served, which would
# make them idle connections to close for a new one.
IFS= read -r -t 10 -u "${HOLD[0]}" line
is "$line" PINGED "the 4 held connections pinged the daemon"
for i in 1 2 3; do
	run_cmd depcheck status
	if [ "$T_RC" -eq 2 ] && [ "$(cat "$T_ERR")" = "$BUSY" ] &&
	    [ ! -s "$T_OUT" ]; then
		pass "status $i while 4 are connected: exit 2, one line: busy"
	else
		fail "status $i while 4 are connected: exit 2, one line: busy" \
		    "want exit 2 and: $BUSY"
		diag_last
	fi
done
hold_in=${HOLD[1]}
exec {hold_in}>&-
IFS= read -r -t 10 -u "${HOLD[0]}" line
is "$line" DONE "the 4 held connections were kept alive until released"
wait "$HOLD_PID" 2>/dev/null
is "$(log_new | grep -c "too many connections ($MAXCONN): refusing one")" 5 \
    "one log line for each of the 5 refused connections"
still_serves "the refused connections"

# ---------------------------------------------------------------- random

log_mark
raw --garbage 6001 200
is "$(cat "$SCRATCH/raw")" "garbage 200: 200 closed, 0 timeouts, 0 errors" \
    "200 connections of random bytes (seed 6001): each one closed"
diag "log lines for them: $(log_new | grep -c .)"
still_serves "200 connections of random bytes"
echo c2 >dep.c
expect_exit -m "after all that, a write is seen: stale" 1 depcheck dep.o dep.c
echo o >dep.o
expect_exit -m "and the rewritten target: up to date" 0 depcheck dep.o dep.c

ok "the daemon is the one started, still running" alive "$DPID"
expect_exit -m "depcheck stop" 0 depcheck stop
is "$(daemon_pids)" "" "stopped"

done_testing
