#!/usr/bin/env bash
# Area 5 (faults), issue 9: depcheckd --idle-exit DURATION (and depcheck
# start --idle-exit) exits after that long with no request and no
# connection; depcheck.mk's auto-start and depcheck exec's use it (2h,
# DEPCHECK_IDLE_EXIT to change it); a plain start does not.  Write order
# is kept across the idle exit: the next start reconciles, so a file
# written while no daemon ran, with its mtime set back, is stale.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export DEPCHECK_RUNTIME_DIR=$SCRATCH/run

LOG=$ROOT/.depcheck/depcheckd.log

# ------------------------------------------------------------ syntax
bad="(a duration such as 90s, 30m, 2h or 1d; 0: never)"
expect_fail -m "start --idle-exit 5x: usage error" 2 \
    "depcheck: bad --idle-exit '5x' $bad" depcheck start --idle-exit 5x
ok "nothing started" test ! -e .depcheck
expect_fail -m "start --idle-exit '': usage error" 2 \
    "depcheck: bad --idle-exit '' $bad" depcheck start --idle-exit ''
expect_fail -m "depcheckd --idle-exit soon: exit 2" 2 \
    "depcheckd: bad --idle-exit 'soon' $bad" \
    depcheckd --root "$ROOT" --idle-exit soon
expect_fail -m "depcheckd --idle-exit 1y: exit 2" 2 \
    "depcheckd: bad --idle-exit '1y' $bad" \
    depcheckd --root "$ROOT" --idle-exit 1y
for d in 90:90 30m:1800 2h:7200 1d:86400 45:45 0:0; do
	run_cmd depcheck start --idle-exit "${d%:*}"
	is "$T_RC/$(status_field idle_exit)" "0/${d#*:}" \
	    "start --idle-exit ${d%:*}: status says idle_exit: ${d#*:}"
	depcheck_nowrap stop >/dev/null 2>&1
done
expect_exit -m "a plain start" 0 depcheck start
is "$(status_field idle_exit)" 0 "has no idle exit"
depcheck_nowrap stop >/dev/null 2>&1

# ------------------------ the idle exit, and write order across it
echo c >a.c
start_daemon --idle-exit 2s
echo o >a.o
pid=$(status_field pid)
expect_exit -m "a.o is up to date" 0 depcheck a.o a.c
ok "its log says when it will exit" grep -q \
    "exits after 2 s without a request or connection (--idle-exit)" "$LOG"
ok "idle for 2 s, the daemon exits" wait_gone "$pid"
ok "it says why in its log" grep -q \
    "no request for 2 s (--idle-exit): stopping" "$LOG"
expect_exit -m "no daemon now" 2 depcheck status
# Written while no daemon ran, its mtime put back before a.o's (cp -p,
# tar x): by mtime a.o looks up to date.
echo c2 >a.c
touch -d "@$(($(stat -c %Y a.o) - 100))" a.c
expect_exit -m "without a daemon, mtimes say up to date (wrongly)" \
    0 depcheck a.o a.c
expect_exit -m "start again" 0 depcheck start
expect_fail -m "after the restart: stale, by write order" 1 \
    "depcheck: a.o is stale: a.c written after it (seq $(seq_of a.c) > $(seq_of a.o))" \
    depcheck --why a.o a.c
depcheck_nowrap stop >/dev/null 2>&1

# ------------------------- requests and connections keep it running
start_daemon --idle-exit 2s
pid=$(status_field pid)
for i in 1 2 3 4 5 6; do
	depcheck_nowrap a.o a.c >/dev/null 2>&1
	sleep 0.5	# the time that passes is what is tested
done
ok "requests every 0.5 s for 3 s: still running" alive "$pid"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(3)' .depcheck/sock
ok "a connection open for 3 s: still running" alive "$pid"
ok "then idle: it exits" wait_gone "$pid"

# ------------------------------------------------------ depcheck.mk
if command -v make >/dev/null; then
	cp "$REPO_DIR/contrib/make/depcheck.mk" .
	cat >Makefile <<'EOF'
include depcheck.mk
out: in $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) cp in out
EOF
	echo 1 >in
	mk_ok "make starts the daemon"
	is "$(status_field idle_exit)" 7200 "with --idle-exit 2h"
	depcheck_nowrap stop >/dev/null 2>&1
	# (3 s: a recipe's client under valgrind takes a second to ask.)
	mk_ok "make DEPCHECK_IDLE_EXIT=3s" DEPCHECK_IDLE_EXIT=3s
	pid=$(cat .depcheck/lock)
	ok "the knob is passed on" grep -q \
	    "exits after 3 s without a request or connection" "$LOG"
	ok "the daemon exits when idle" wait_gone "$pid"
	echo 2 >in
	touch -d "@$(($(stat -c %Y out) - 100))" in
	mk_ok "the next make starts it again" DEPCHECK_IDLE_EXIT=3s
	is "$(cat out)" 2 "and rebuilds what was written meanwhile"
	depcheck_nowrap stop >/dev/null 2>&1
	mk_ok "make with DEPCHECK_IDLE_EXIT=0 in its environment" \
	    -e DEPCHECK_IDLE_EXIT=0
	is "$(status_field idle_exit)" 0 "never"
	depcheck_nowrap stop >/dev/null 2>&1
else
	skip "make is not installed" 9
fi

# ------------------------------------------------------ depcheck exec
expect_exit -m "depcheck exec starts the daemon" 0 depcheck exec -- true
is "$(status_field idle_exit)" 7200 "with --idle-exit 2h"
depcheck_nowrap stop >/dev/null 2>&1
DEPCHECK_IDLE_EXIT=0 expect_exit -m "DEPCHECK_IDLE_EXIT=0 depcheck exec" \
    0 depcheck exec -- true
is "$(status_field idle_exit)" 0 "never"
depcheck_nowrap stop >/dev/null 2>&1

done_testing
