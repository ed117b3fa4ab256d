#!/usr/bin/env bash
# Area 5 (load): group commit.  A writer that makes a file every half
# millisecond, with no check in between, wakes the daemon for nearly
# every file; each drain used to be a transaction of its own (a WAL
# frame of every page it touched, written again by the next).  Drains
# woken by events now share a transaction for up to 5 ms (daemon/batch.c,
# BATCH_GROUP_MS), so the burst takes far fewer transactions than files
# (status: commits), at most one per window, not one per file.  A synced
# check after the burst sees every file.
#	DEPCHECK_TEST_GROUP_FILES	files written (1000)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

FILES=${DEPCHECK_TEST_GROUP_FILES:-1000}

mkdir "$ROOT/burst"
start_daemon
cd "$ROOT" || exit 1
echo t >target
run_cmd depcheck seq target
k0=$(status_field commits)

# FILES files, one every 0.5 ms (a compiler's outputs, at a fast pace).
t0=${EPOCHREALTIME/./}
python3 - "$ROOT/burst" "$FILES" <<'EOF_PY'
import os, sys, time

d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, "f%d" % i), "w") as f:
        f.write("%d\n" % i)
    time.sleep(0.0005)
EOF_PY
t1=${EPOCHREALTIME/./}

k1=$(status_field commits)
expect_exit -m "depcheck target burst/f$((FILES - 1)): stale" 1 \
    depcheck target "burst/f$((FILES - 1))"
# A transaction per 5 ms at most, whatever the pace: a window of the
# group's, or one loop turn when the daemon is slower than that (a
# loaded machine), plus the odd one of a timer or a sync.  One per drain
# (the pace of the files) is more than that.
k=$((k1 - k0))
ms=$(((t1 - t0) / 1000))
bound=$((ms / 5 + 20))
diag "$FILES files in $ms ms: $k transactions"
ok "$FILES files written one by one in $ms ms: $k transactions (<= $bound)" \
    test "$k" -le "$bound"
n=0
for ((i = 0; i < FILES; i++)); do
	case $(depcheck_nowrap seq "burst/f$i" 2>&1) in
	*" exists "*)	n=$((n + 1)) ;;
	esac
done
is "$n" "$FILES" "every file of the burst recorded"

done_testing
