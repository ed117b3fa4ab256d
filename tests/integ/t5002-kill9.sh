#!/usr/bin/env bash
# Area 5 (faults): after kill -9 the socket and lock are stale: a check
# falls back to mtimes with the warning (never a wrong "up to date"), a new
# start takes over, and seqs never go backwards.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
pid=$(status_field pid)
like "$pid" '^[1-9][0-9]*$' "status gives the pid"
echo c >a.c
echo o >a.o
expect_exit -m "up to date" 0 depcheck a.o a.c
high=$(depcheck_nowrap status | sed -n 's/^seq: //p')
like "$high" '^[0-9]+$' "status gives the seq"

kill -9 "$pid"
ok "the daemon is gone after kill -9" wait_gone "$pid"

touch -d @1600000000 a.c
touch -d @1600000100 a.o
warn="depcheck: no daemon for '$ROOT'; comparing mtimes (equal counts as stale)"
expect_fail -m "after kill -9, older dependency: the warning, 0" \
    0 "$warn" depcheck a.o a.c
touch -d @1600000100 a.c
expect_fail -m "after kill -9, equal mtimes: the warning, 1" \
    1 "$warn" depcheck a.o a.c
expect_fail -m "after kill -9, --strict: 2" \
    2 "depcheck: no daemon for '$ROOT' (run: depcheck start)" \
    depcheck --strict a.o a.c

start_daemon
pid2=$(status_field pid)
ok "a new daemon ($pid2), not the old one ($pid)" \
    test -n "$pid2" -a "$pid2" != "$pid"
is "$(daemon_pids)" "$pid2" "one daemon for the root"
echo c >a.c
expect_exit -m "after the restart, the dependency written: stale" \
    1 depcheck a.o a.c
is "$(cat "$T_ERR")" "" "with no warning"
echo o >a.o
expect_exit -m "after the restart, the target written: up to date" \
    0 depcheck a.o a.c
s=$(seq_of a.o)
ok "seqs after kill -9 and restart ($s) are above the last seen ($high)" \
    test "$s" -gt "$high"

# kill -9 again, right after a burst of writes, and restart.
for i in 1 2 3 4 5 6 7 8 9 10; do
	echo "$i" >"burst$i"
done
expect_exit -m "a check after the burst (syncs)" 1 depcheck a.o burst10
high=$(seq_of burst10)
kill -9 "$pid2"
ok "the second daemon is gone after kill -9" wait_gone "$pid2"
start_daemon
echo new >new.h
s=$(seq_of new.h)
ok "seqs after the second restart ($s) are above the last seen ($high)" \
    test "$s" -gt "$high"
expect_exit -m "burst10 still newer than a.o" 1 depcheck a.o burst10
echo o >a.o
expect_exit -m "a.o rewritten: up to date" 0 depcheck a.o burst1 burst10 new.h

done_testing
