#!/usr/bin/env bash
# Area 3 (sync): a check reflects every write completed before it was sent.
# Rounds of write-then-check with no pause in between, alternating: write
# the dependency (expect 1), write the target (expect 0).  Any wrong answer
# is a sync bug.  DEPCHECK_TEST_ROUNDS sets the number of rounds (500; 50
# under DEPCHECK_TEST_WRAP).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rounds=${DEPCHECK_TEST_ROUNDS:-500}
[ -n "$DEPCHECK_TEST_WRAP" ] && [ -z "$DEPCHECK_TEST_ROUNDS" ] && rounds=50

start_daemon

# put MODE FILE N: write N into FILE, the MODE way.
put()
{
	case $1 in
	trunc)	echo "$3" >"$2" ;;		# open, truncate, write, close
	append)	echo "$3" >>"$2" ;;
	rename)	echo "$3" >"$2.tmp" && mv "$2.tmp" "$2" ;;	# editors
	esac
}

# loop MODE ROUNDS: the rounds, writing the MODE way.
loop()
{
	local mode=$1 n=$2 t0 t1

	put "$mode" dep 0
	put "$mode" target 0
	t0=$(date +%s%N)
	write_check_rounds "$n" put "$mode"
	t1=$(date +%s%N)
	diag "$mode: $n rounds in $(((t1 - t0) / 1000000)) ms"
	is "$WTC_WRONG" 0 "$n write-then-check rounds ($mode): wrong answers"
	[ "$WTC_WRONG" -eq 0 ] || diag_log
}

loop trunc "$rounds"
loop append $((rounds / 5))
loop rename $((rounds / 5))

done_testing
