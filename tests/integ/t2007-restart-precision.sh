#!/usr/bin/env bash
# Area 2 (watch): a clean stop and start keeps the order of everything
# written before the stop (issue 11, item 3): a target written after its
# dependency, often in the same clock tick, is still up to date after
# the restart -- while a file written after the target, or rewritten
# while no daemon ran, is stale.  On the test's own file system; t2008
# does the same on one with 1-second timestamps.  DEPCHECK_TEST_ROUNDS
# sets the number of rounds (100).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=restart-rounds.sh
. "$TEST_DIR/restart-rounds.sh"

rounds=${DEPCHECK_TEST_ROUNDS:-100}
[ -n "$DEPCHECK_TEST_WRAP" ] && [ -z "$DEPCHECK_TEST_ROUNDS" ] && rounds=20

start_daemon
diag "$(grep 'timestamps:' .depcheck/depcheckd.log | head -n 1)"
restart_rounds "$rounds"
done_testing
