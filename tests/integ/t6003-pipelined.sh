#!/usr/bin/env bash
# Area 6 (protocol): a check is one connection and one round trip (issue
# 11): the client sends HELLO and its QUERY in one write and reads the
# replies in order.  The daemon answers requests pipelined behind HELLO,
# and a version mismatch still reads as one -- from the real daemon, from
# an old one that closes with the QUERY unread (the kernel then resets the
# connection behind the ERROR), and never as "connection reset".
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is not installed"
need_strace

# The client's writes to the daemon's socket (fd 3 and up, not stdio).
SENDS='(sendto|sendmsg|write|writev)\(([3-9]|[1-9][0-9]+),'

start_daemon
for i in 1 2 3 4 5 6 7 8 9 10; do echo "$i" >"d$i"; done
echo t >tgt

traced tgt d1 d2 d3 d4 d5 d6 d7 d8 d9 d10
is "$T_RC" 0 "a check of 10 deps answers (up to date)"
is "$(trace_count '^[0-9]+ +connect\(')" 1 "a check: one connect"
is "$(trace_count "$SENDS")" 1 "a check: HELLO and QUERY in one write"

traced status
is "$T_RC" 0 "status answers"
is "$(trace_count "$SENDS")" 1 "status: HELLO and STATUS in one write"

# The daemon's side: every frame behind HELLO is read and answered in order.
S=$ROOT/.depcheck/sock
PV=$(awk '$1 == "#define" && $2 == "PROTO_VERSION" { print $3 }' \
    "$TEST_DIR/../../proto/proto.h")
is "$(python3 "$TEST_DIR/rawsock.py" "$S" \
    "send:hello()+query(1,[b'tgt',b'd1'])+frame(PING)" read read read)" \
    "HELLO_OK $PV $(status_field pid)
RECORDS $(status_field seq) 2 1:$(seq_of tgt) 1:$(seq_of d1)
PONG" "the daemon answers a QUERY and a PING sent with HELLO"
like "$(python3 "$TEST_DIR/rawsock.py" "$S" \
    "send:hello(1)+query(1,[b'tgt'])" read eof)" \
    "^ERROR 2 daemon speaks protocol $PV, this client 1 \(run: depcheck stop; depcheck start\)
EOF [0-9]+$" "a wrong version with a QUERY behind it: the error, then EOF"
expect_exit -m "and checks still answer" 0 depcheck tgt d1

# An old daemon that reads the HELLO frame and not the QUERY behind it.
depcheck_nowrap stop >/dev/null 2>&1
python3 "$TEST_DIR/old-daemon.py" "$ROOT" "$SCRATCH/ready" exact &
old=$!
at_exit eval "kill $old 2>/dev/null"
for ((i = 0; i < 500; i++)); do
	[ -e "$SCRATCH/ready" ] && break
	sleep 0.01
done
ok "the stand-in is up" test -e "$SCRATCH/ready"
expect_fail -m "an old daemon that leaves the QUERY unread: the version message" \
    2 "depcheck: daemon for '$ROOT': daemon speaks protocol 1, this client $PV (run: depcheck stop; depcheck start)" \
    depcheck tgt d1 d2
ok "no 'connection reset'" not grep -q "reset" "$T_ERR"
expect_fail -m "status against it: the same message" \
    2 "depcheck: daemon for '$ROOT': daemon speaks protocol 1, this client $PV (run: depcheck stop; depcheck start)" \
    depcheck status
expect_fail -m "run against it: the same message, the command not run" \
    2 "depcheck: daemon for '$ROOT': daemon speaks protocol 1, this client $PV (run: depcheck stop; depcheck start)" \
    depcheck run tgt d1 -- sh -c 'echo ran >marker'
ok "the command did not run" test ! -e marker
kill "$old" 2>/dev/null
wait "$old" 2>/dev/null

done_testing
