#!/usr/bin/env bash
# Area 3 (sync): a daemon that cannot sync (DEPCHECKD_TEST_DROP_COOKIES=1
# makes it ignore its cookies) answers a check with an error after
# --sync-timeout, never with a guess; --no-sync still answers; the daemon
# goes on serving.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DEPCHECKD_TEST_DROP_COOKIES=1 start_depcheckd --sync-timeout 300

echo c >a.c
echo o >a.o
t0=$(date +%s%N)
expect_exit -m "a check that cannot sync exits 2" 2 depcheck a.o a.c
t1=$(date +%s%N)
like "$(cat "$T_ERR")" '^depcheck: ' "the error is a 'depcheck: ' line"
is "$(nlines "$T_ERR")" 1 "one line"
like "$(cat "$T_ERR")" 'could not sync' "it says it could not sync"
is "$(cat "$T_OUT")" "" "nothing on stdout"
ms=$(((t1 - t0) / 1000000))
ok "it gave up after the sync timeout, not the client's ($ms ms)" \
    test "$ms" -ge 250 -a "$ms" -lt 10000

expect_exit -m "--no-sync still answers: up to date" \
    0 depcheck --no-sync a.o a.c
echo c2 >a.c
expect_exit -m "a check after a write: exits 2" 2 depcheck a.o a.c
expect_exit -m "--no-sync after that: stale" 1 depcheck --no-sync a.o a.c
expect_fail -m "--no-sync with a missing dependency: error" \
    2 "depcheck: dependency 'nosuch.h' does not exist" \
    depcheck --no-sync a.o nosuch.h
expect_exit -m "--why with no sync: exits 2" 2 depcheck --why a.o a.c
like "$(cat "$T_ERR")" 'could not sync' "--why: could not sync"
expect_exit -m "--json with no sync: exits 2" 2 depcheck --json a.o a.c
expect_exit -m "--strict with no sync: exits 2" 2 depcheck --strict a.o a.c

expect_exit -m "status still answers" 0 depcheck status
ok "status: the daemon is the one started" \
    test "$(sed -n 's/^pid: //p' "$T_OUT")" = "$(daemon_pids)"
expect_exit -m "stop" 0 depcheck stop
is "$(daemon_pids)" "" "stopped"

# A daemon that would wait 60 s: the client gives up after DEPCHECK_TIMEOUT.
DEPCHECKD_TEST_DROP_COOKIES=1 start_depcheckd --sync-timeout 60000
t0=$(date +%s%N)
DEPCHECK_TIMEOUT=1 expect_exit -m "DEPCHECK_TIMEOUT=1: the client gives up, exit 2" \
    2 depcheck a.o a.c
t1=$(date +%s%N)
like "$(cat "$T_ERR")" '^depcheck: ' "DEPCHECK_TIMEOUT: a 'depcheck: ' line"
is "$(nlines "$T_ERR")" 1 "DEPCHECK_TIMEOUT: one line"
ms=$(((t1 - t0) / 1000000))
ok "DEPCHECK_TIMEOUT: it gave up after about 1 s ($ms ms)" \
    test "$ms" -ge 900 -a "$ms" -lt 10000
expect_exit -m "the daemon still answers --no-sync" \
    1 depcheck --no-sync a.o a.c

done_testing
