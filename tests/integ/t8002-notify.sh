#!/usr/bin/env bash
# Area 8 (contrib): the service manager's notification protocol, without
# systemd (issue 9).  depcheckd --foreground with NOTIFY_SOCKET naming a
# unix datagram socket that notify-listen.py holds, as systemd's would:
# STATUS= lines while the start-up crawl runs (with EXTEND_TIMEOUT_USEC=),
# READY=1 only once the tree is watched -- a file created before the
# start is recorded and the socket answers as soon as READY=1 arrives --
# and STOPPING=1 on SIGTERM and on depcheck stop; every datagram from the
# daemon's own pid (systemd's NotifyAccess=main).  The same through an
# abstract socket (@name).  An address that cannot be used is logged once
# and changes nothing else; a daemon that forks into the background does
# not notify.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "no python3 (the listener)"

# Before the start: one file to find, and enough other names (10500)
# for the crawl to report progress (a STATUS= line every 10000 entries):
# hard links of one file, much quicker to make than as many files.
mkdir src many
echo 'int x;' >src/pre.c
touch many/base
python3 -c 'import os
for i in range(10500):
    os.link("many/base", "many/f%05d" % i)'

LINES=()	# what the listener printed, one datagram a line

# The listener exits by itself after STOPPING=1; this is for a test that
# gave up before.
stop_listener()
{
	kill "$1" 2>/dev/null
}

# listen ADDR: start notify-listen.py on ADDR (its output on fd LFD, its
# pid in LPID) and wait for it to be bound.
listen()
{
	exec {LFD}< <(exec python3 "$TEST_DIR/notify-listen.py" -t 30 "$1")
	LPID=$!
	at_exit stop_listener "$LPID"
	LINES=()
	if ! read -r -t 30 -u "$LFD" line || [ "$line" != listening ]; then
		give_up "notify-listen.py listens on $1 (got: '${line-}')"
	fi
}

# read_until TEXT: read datagrams into LINES until one holds the line
# TEXT (each read bounded by the listener's own 30 s).  1 if none did.
read_until()
{
	local line

	while read -r -t 40 -u "$LFD" line; do
		LINES+=("$line")
		[ "$line" = TIMEOUT ] && return 1
		case " $line | " in
		*" $1 | "*)	return 0 ;;
		esac
	done
	return 1
}

# fg_daemon ADDR: depcheckd --foreground on ROOT with NOTIFY_SOCKET=ADDR,
# in the background (pid in DPID; env execs it, so the pid is the
# daemon's own); its stderr in SCRATCH/fg.err.
fg_daemon()
{
	_bin_env
	env -i "${_ENV[@]}" NOTIFY_SOCKET="$1" \
	    "$DEPCHECK_BINDIR/depcheckd" --foreground --root "$ROOT" \
	    </dev/null >/dev/null 2>"$SCRATCH/fg.err" &
	DPID=$!
}

# answering: poll `depcheck status` until the daemon answers (at most
# 10 s): for a start with no listener to say READY=1.
answering()
{
	local i

	for ((i = 0; i < 1000; i++)); do
		depcheck_nowrap status >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	return 1
}

# wait_daemon DESC: DPID exits 0 within 30 s (else it is killed).
wait_daemon()
{
	local i rc=0

	for ((i = 0; i < 3000; i++)); do
		alive "$DPID" || break
		sleep 0.01
	done
	if alive "$DPID"; then
		kill -KILL "$DPID"
		wait "$DPID"
		fail "$1" "the daemon did not exit within 30 s: killed"
		diag_file "daemon stderr" "$SCRATCH/fg.err"
		return 1
	fi
	wait "$DPID" || rc=$?
	is "$rc" 0 "$1"
	[ "$rc" = 0 ] || diag_file "daemon stderr" "$SCRATCH/fg.err"
}

# ---------------------------------------------------------- a path

addr=$SCRATCH/notify.sock
listen "$addr"
fg_daemon "$addr"
if read_until READY=1; then
	pass "READY=1 arrives on the NOTIFY_SOCKET path"
else
	fail "READY=1 arrives on the NOTIFY_SOCKET path" "${LINES[@]}"
	diag_file "daemon stderr" "$SCRATCH/fg.err"
	kill "$DPID"
	give_up "no READY=1"
fi
# At once, with no retry: the socket answers and pre.c is recorded.
run_cmd depcheck seq src/pre.c
if [ "$T_RC" -eq 0 ] && grep -qE '^[0-9]+ first-sight ' "$T_OUT"; then
	pass "right after READY=1 the daemon answers, and a file created before the start is recorded"
else
	fail "right after READY=1 the daemon answers, and a file created before the start is recorded"
	diag_last
fi

ready=${LINES[-1]}
like "$ready" "^$DPID: READY=1 \\| STATUS=watching '$ROOT': [0-9]+ entries, [0-9]+ directories\$" \
    "READY=1 comes with a STATUS= line, from the daemon's own pid"
like "${LINES[0]}" "^$DPID: STATUS=crawling '$ROOT' \\| EXTEND_TIMEOUT_USEC=[0-9]+\$" \
    "the first datagram says the crawl started"
progress=$(printf '%s\n' "${LINES[@]}" |
    grep -c "^$DPID: STATUS=crawling '$ROOT': [0-9]* entries indexed | EXTEND_TIMEOUT_USEC=[0-9]*\$")
ok "crawl progress (10500 names: a STATUS= line at 10000 entries) before READY=1" \
    test "$progress" -ge 1
is "$(printf '%s\n' "${LINES[@]}" | grep -c 'READY=1')" 1 \
    "READY=1 is sent once"

kill -TERM "$DPID"
if read_until STOPPING=1; then
	like "${LINES[-1]}" "^$DPID: STOPPING=1 \\| STATUS=stopping\$" \
	    "SIGTERM: STOPPING=1"
else
	fail "SIGTERM: STOPPING=1" "${LINES[@]}"
fi
wait_daemon "the daemon exits 0 after SIGTERM"
exec {LFD}<&-

# ---------------------------------------------------------- abstract

name=@depcheck-t8002-$$-$RANDOM
listen "$name"
fg_daemon "$name"
if read_until READY=1; then
	pass "READY=1 arrives on an abstract socket ($name)"
else
	fail "READY=1 arrives on an abstract socket ($name)" "${LINES[@]}"
fi
expect_exit -m "depcheck stop" 0 depcheck stop
if read_until STOPPING=1; then
	pass "depcheck stop: STOPPING=1"
else
	fail "depcheck stop: STOPPING=1" "${LINES[@]}"
fi
wait_daemon "the daemon exits 0 after depcheck stop"
exec {LFD}<&-

# ---------------------------------------------------------- bad addresses

log=$ROOT/.depcheck/depcheckd.log
long=/$(printf 'x%.0s' {1..120})	# longer than sun_path
for bad in relative/sock "$long"; do
	fg_daemon "$bad"
	answering || fail "the daemon answers (NOTIFY_SOCKET '$bad')"
	if grep -q "ignoring NOTIFY_SOCKET '$bad': not an absolute path or an @name that fits a unix socket address" \
	    "$SCRATCH/fg.err"; then
		pass "NOTIFY_SOCKET '${bad:0:20}...': one line says it is ignored"
	else
		fail "NOTIFY_SOCKET '${bad:0:20}...': one line says it is ignored"
		diag_file "daemon stderr" "$SCRATCH/fg.err"
	fi
	expect_exit -m "the daemon runs all the same" 0 depcheck seq src/pre.c
	depcheck_nowrap stop >/dev/null 2>&1
	wait_daemon "and stops cleanly"
done

gone=$SCRATCH/no-such-dir/notify.sock
fg_daemon "$gone"
answering || fail "the daemon answers (NOTIFY_SOCKET '$gone')"
expect_exit -m "NOTIFY_SOCKET naming no socket: the daemon runs all the same" \
    0 depcheck seq src/pre.c
depcheck_nowrap stop >/dev/null 2>&1
wait_daemon "and stops cleanly"
is "$(grep -c "cannot notify the service manager at '$gone': No such file or directory (is NOTIFY_SOCKET right?)" "$log")" 1 \
    "a failed notification is logged once, not once per datagram"

# In the background (depcheck start), NOTIFY_SOCKET is not ours to use.
: >"$log"
NOTIFY_SOCKET=$addr depcheck_nowrap stop >/dev/null 2>&1
_bin_env
run_cmd env -i "${_ENV[@]}" NOTIFY_SOCKET="$SCRATCH/unused.sock" \
    "$DEPCHECK_BINDIR/depcheckd" --root "$ROOT"
is "$T_RC" 0 "depcheckd in the background starts"
ok "and does not use NOTIFY_SOCKET" \
    not grep -q 'notify' "$log"

done_testing
