#!/bin/sh
# The rest of the kernel's first pass (other objects, archives): between
# building usercopy_64.o and adjust_autoksyms.sh the kernel did a varying
# amount of other work, so the two landed in the same second about half
# the time.  KSYMS_OTHER_WORK_MS=N waits a random 0..N-1 ms here (default
# 0: no wait).
n=${KSYMS_OTHER_WORK_MS:-0}
[ "$n" -gt 0 ] 2>/dev/null || exit 0
ms=$(awk -v n="$n" 'BEGIN { srand(); print int(rand() * n) }')
sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
