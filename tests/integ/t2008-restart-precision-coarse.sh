#!/usr/bin/env bash
# Area 2 (watch): t2007 (a clean stop and start keeps the order of what
# was written before the stop, issue 11, item 3) on a file system with
# 1-second timestamps, where the target, its dependency, the stop and
# often a rewrite while stopped all share a second.  Needs root and a
# loop device (skipped otherwise).  Each stop here waits out its second,
# so a round takes about one: 20 rounds by default (before the fix every
# round failed), DEPCHECK_TEST_ROUNDS for more; t2007 runs 100 on the
# test's own file system.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=restart-rounds.sh
. "$TEST_DIR/restart-rounds.sh"

rounds=${DEPCHECK_TEST_ROUNDS:-20}

coarse_root 32
start_daemon
diag "$(grep 'timestamps:' .depcheck/depcheckd.log | head -n 1)"
restart_rounds "$rounds"
done_testing
