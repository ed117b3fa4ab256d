# shellcheck shell=bash
#
# Sourced by t2007-restart-precision.sh (the test's own file system) and
# t2008-restart-precision-coarse.sh (1-second timestamps): rounds of a
# clean stop and start between writes, for issue 11, item 3.  Needs lib.sh
# sourced and the daemon started in ROOT, the working directory.

# restart_rounds N: N rounds of: mod, dep, then tgt written (tgt last,
# often in the same clock tick), late written after tgt, depcheck stop,
# mod rewritten while no daemon runs (same size, its mtime put back with
# touch -d), depcheck start; then tgt must still be up to date against
# dep (the order seen before the stop is kept: no rebuild after every
# restart, and status counts no ties), and stale against late (written
# after it) and mod (changed while unobserved).  Counts the rounds that
# fail each way; the first few failures are shown.
restart_rounds()
{
	local n=$1 i m kept=0 late=0 mod=0 tied=0 t0 t1

	t0=${EPOCHREALTIME/./}
	for ((i = 1; i <= n; i++)); do
		printf 'mod %04d\n' "$i" >mod
		printf 'dep %04d\n' "$i" >dep
		printf 'tgt %04d\n' "$i" >tgt
		# Odd rounds sync before the stop; even ones leave the
		# events to the stop's last drain.
		if ((i % 2)); then
			run_cmd depcheck tgt dep mod
			[ "$T_RC" -eq 0 ] || {
				diag "round $i: before the stop: exit $T_RC"
				diag_last
			}
		fi
		printf 'late %04d\n' "$i" >late
		m=$(stat -c %.9Y mod)
		run_cmd depcheck stop
		[ "$T_RC" -eq 0 ] || { diag_last; give_up "depcheck stop"; }
		printf 'MOD %04d\n' "$i" >mod
		touch -d "@$m" mod
		run_cmd depcheck start
		[ "$T_RC" -eq 0 ] || { diag_last; give_up "depcheck start"; }
		# Only mod was restamped by the start's crawl: no file
		# shares its seq (status ties).
		[ "$(status_field ties)" = 0 ] || tied=$((tied + 1))
		run_cmd depcheck --why tgt dep
		if [ "$T_RC" -ne 0 ]; then
			kept=$((kept + 1))
			if [ "$kept" -le 3 ]; then
				diag "round $i: dep, then tgt, stop, start:\
 expected 0, got $T_RC"
				diag_last
			fi
		fi
		run_cmd depcheck tgt late
		if [ "$T_RC" -ne 1 ]; then
			late=$((late + 1))
			[ "$late" -le 3 ] && { diag "round $i: late: $T_RC"
			    diag_last; }
		fi
		run_cmd depcheck tgt mod
		if [ "$T_RC" -ne 1 ]; then
			mod=$((mod + 1))
			[ "$mod" -le 3 ] && { diag "round $i: mod: $T_RC"
			    diag_last; }
		fi
	done
	t1=${EPOCHREALTIME/./}
	diag "$n rounds in $(((t1 - t0) / 1000)) ms; restarts that lost the\
 order (a needless rebuild): $kept"
	is "$kept" 0 "written before the stop: up to date after the start,\
 $n rounds"
	is "$tied" 0 "status: no ties after the start, $n rounds"
	is "$late" 0 "written after the target, before the stop: stale,\
 $n rounds"
	is "$mod" 0 "rewritten while stopped, mtime put back: stale, $n rounds"
}
