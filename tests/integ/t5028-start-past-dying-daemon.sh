#!/usr/bin/env bash
# Area 5 (faults): `depcheck start` right after kill -9.  A killed
# daemon's socket stays open until its last thread has ended (a
# checkpoint in libuv's pool, finishing a write), while ps already shows
# it gone: a client that connects then is reset, unanswered.  start must
# take that as "no daemon" and start one, not fail with "lost the
# daemon".  A listener that resets every connection, on the root's
# socket with no lock held, stands in for the dying daemon.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$ROOT/.depcheck"
chmod 700 "$ROOT/.depcheck"
ready=$SCRATCH/ready
python3 - "$ROOT/.depcheck/sock" "$ready" <<'EOF_PY' &
import os, socket, sys, time

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
open(sys.argv[2], "w").close()
s.settimeout(30)
end = time.time() + 30
while time.time() < end:
    try:
        c, _ = s.accept()
    except (socket.timeout, OSError):
        break
    # Close with the client's request unread: the client is reset.
    time.sleep(0.05)
    c.close()
EOF_PY
listener=$!
stop_listener()
{
	kill "$listener" 2>/dev/null || true
}
at_exit stop_listener
for ((i = 0; i < 500; i++)); do
	[ -e "$ready" ] && break
	sleep 0.01	# the listener's start, not the daemon's
done
[ -e "$ready" ] || give_up "the stand-in listener did not start"

cd "$ROOT" || exit 1
run_cmd depcheck start
is "$T_RC" 0 "depcheck start past a socket that resets: exit 0"
[ "$T_RC" -eq 0 ] || diag_last
pid=$(status_field pid)
like "$(cat "/proc/$pid/comm" 2>/dev/null)" '^depcheckd$' \
    "a real daemon answers (pid ${pid:-none})"
echo a >dep
echo b >target
expect_exit -m "and checks: up to date" 0 depcheck target dep

done_testing
