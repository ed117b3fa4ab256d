#!/usr/bin/env bash
# Area 2 (watch): files created in a new directory right after it is made
# (before the daemon can have added a watch on it) are seen: the daemon
# adds the watch, then scans the directory.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

echo o >T
mkdir -p a/b/c && echo x >a/b/c/f
expect_exit -m "mkdir -p a/b/c && write a/b/c/f after T: T is stale" \
    1 depcheck T a/b/c/f
expect_exit -m "depcheck seq a/b/c/f" 0 depcheck seq a/b/c/f
like "$(cat "$T_OUT")" '^[0-9]+ exists [^ ]+ a/b/c/f$' "seq: a/b/c/f exists"
ok "seq: a/b/c/f is above T" \
    test "$(cut -d ' ' -f 1 "$T_OUT")" -gt "$(seq_of T)"
echo o >T
expect_exit -m "T rewritten: up to date" 0 depcheck T a/b/c/f
echo y >a/b/c/f
expect_exit -m "a/b/c/f rewritten (the new directory is watched): stale" \
    1 depcheck T a/b/c/f

# The same race, many times, deeper, with more than one file.
rounds=${DEPCHECK_TEST_ROUNDS:-100}
[ -n "$DEPCHECK_TEST_WRAP" ] && [ -z "$DEPCHECK_TEST_ROUNDS" ] && rounds=20
wrong=0
for ((i = 1; i <= rounds; i++)); do
	echo "$i" >T
	d=r$i/x/y/z/w
	mkdir -p "$d" && echo 1 >"$d/f" && echo 2 >"$d/g" &&
	    mkdir "$d/v" && echo 3 >"$d/v/h"
	run_cmd depcheck T "$d/f" "$d/v/h" "$d/g"
	if [ "$T_RC" -ne 1 ]; then
		wrong=$((wrong + 1))
		if [ "$wrong" -le 3 ]; then
			diag "round $i: depcheck T $d/{f,v/h,g} exited $T_RC, not 1"
			diag_file stderr "$T_ERR"
		fi
	fi
	echo "$i" >T
	run_cmd depcheck T "$d/f" "$d/v/h" "$d/g"
	if [ "$T_RC" -ne 0 ]; then
		wrong=$((wrong + 1))
		if [ "$wrong" -le 3 ]; then
			diag "round $i: T rewritten, exited $T_RC, not 0"
			diag_file stderr "$T_ERR"
		fi
	fi
done
is "$wrong" 0 "$rounds rounds of mkdir -p and write: wrong answers"
[ "$wrong" -eq 0 ] || diag_log

# New sibling directories, a file written in each, one after the other:
# each file is newer than the ones before, even though all were written
# before any watch on their directories could exist.
mkdir -p src/a src/b && echo x >src/a/x.c && echo y >src/b/y.c
expect_exit -m "mkdir -p src/a src/b, write src/a/x.c, then src/b/y.c: stale" \
    1 depcheck src/a/x.c src/b/y.c
rounds2=$((rounds * 2))
wrong=0
for ((i = 1; i <= rounds2; i++)); do
	s=s$i
	mkdir -p "$s/a" "$s/b" "$s/c" && echo x >"$s/a/x.c" &&
	    echo y >"$s/b/y.c" && echo z >"$s/c/z.c"
	for args in "$s/a/x.c $s/b/y.c $s/c/z.c" "$s/b/y.c $s/c/z.c"; do
		# shellcheck disable=SC2086	# two or three plain paths
		run_cmd depcheck $args
		[ "$T_RC" -eq 1 ] && continue
		wrong=$((wrong + 1))
		[ "$wrong" -le 3 ] || continue
		diag "round $i: depcheck $args exited $T_RC, not 1"
		diag_file stderr "$T_ERR"
		diag "$(depcheck_nowrap seq "$s/a" "$s/b" "$s/c" "$s/a/x.c" \
		    "$s/b/y.c" "$s/c/z.c")"
	done
done
is "$wrong" 0 "$rounds2 rounds of sibling directories, a file in each: wrong answers"

done_testing
