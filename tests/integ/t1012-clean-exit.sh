#!/usr/bin/env bash
# Area 1 (check), issue 10: the daemon stops cleanly.  At shutdown every
# libuv handle is closed before the loop is (STYLE.md): a handle or
# request still open makes uv_loop_close() fail with EBUSY, which the
# daemon logs as an internal error and turns into exit status 2.  So a
# daemon that served clients, synced and recorded a build, then was
# stopped by depcheck stop or by SIGTERM, exits 0 with no such line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LOG=$ROOT/.depcheck/depcheckd.log
BUSY='cannot close the event loop'

# fg_daemon: depcheckd --foreground on ROOT in the background (pid in
# DPID: env execs it), its stderr in SCRATCH/fg.err; once it answers.
fg_daemon()
{
	local i

	_bin_env
	env -i "${_ENV[@]}" "$DEPCHECK_BINDIR/depcheckd" --foreground \
	    --root "$ROOT" </dev/null >/dev/null 2>"$SCRATCH/fg.err" &
	DPID=$!
	for ((i = 0; i < 1000; i++)); do
		depcheck_nowrap status >/dev/null 2>&1 && return 0
		sleep 0.01	# the crawl, before the socket
	done
	give_up "depcheckd --foreground does not answer"
}

# wait_exit DESC: DPID exits within 30 s, with status 0, and the log
# says it stopped, with no line about the loop.
wait_exit()
{
	local i rc=0

	for ((i = 0; i < 3000; i++)); do
		alive "$DPID" || break
		sleep 0.01	# the daemon on its way out
	done
	if alive "$DPID"; then
		kill -KILL "$DPID"
		wait "$DPID"
		fail "$1: exits 0" "the daemon did not exit within 30 s"
		return 1
	fi
	wait "$DPID" || rc=$?
	is "$rc" 0 "$1: exits 0" ||
	    diag_file "daemon stderr" "$SCRATCH/fg.err"
	ok "$1: no '$BUSY' line" not grep -F "$BUSY" "$SCRATCH/fg.err" "$LOG"
	like "$(tail -n 1 "$LOG")" ' I stopped$' "$1: the log ends with 'stopped'"
}

# Some work for the loop: connections, synced checks, recorded builds.
work()
{
	echo c >a.c
	echo o >a.o
	expect_exit -m "$1: a synced check" 0 depcheck a.o a.c
	expect_exit -m "$1: run, up to date" 0 \
	    depcheck run a.o a.c -- sh -c 'echo o2 >a.o'
	echo c2 >a.c
	expect_exit -m "$1: run rebuilds" 0 \
	    depcheck run a.o a.c -- sh -c 'echo o3 >a.o'
	expect_exit -m "$1: status" 0 depcheck status
}

fg_daemon
work "stop"
expect_exit -m "depcheck stop" 0 depcheck stop
wait_exit "stopped by depcheck stop"

fg_daemon
work "SIGTERM"
kill -TERM "$DPID"
wait_exit "stopped by SIGTERM"

# The forked daemon (depcheck start) says the same in its log.
start_daemon
work "forked"
expect_exit -m "depcheck stop (forked daemon)" 0 depcheck stop
ok "forked daemon: no '$BUSY' line in its log" not grep -F "$BUSY" "$LOG"
like "$(tail -n 1 "$LOG")" ' I stopped$' \
    "forked daemon: the log ends with 'stopped'"

done_testing
