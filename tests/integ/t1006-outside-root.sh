#!/usr/bin/env bash
# Area 1 (check): paths outside the root fall back to the nanosecond mtime
# rule, where equal counts as stale; --why and --json say so.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(make_tmpdir)

echo o >t.o
echo d >"$out/dep.h"
touch -d @1700000000.5 t.o "$out/dep.h"
expect_exit -m "outside dependency, equal mtimes: stale" \
    1 depcheck t.o "$out/dep.h"
expect_fail -m "--why: not older by mtime, with both mtimes" \
    1 "depcheck: t.o is stale: $out/dep.h not older by mtime (1700000000.500000000 >= 1700000000.500000000)" \
    depcheck --why t.o "$out/dep.h"
expect_exit -m "--json, equal mtimes" 1 depcheck --json t.o "$out/dep.h"
is "$(json_eval "$T_OUT" '[o["exit"], o["stale"], o["deps"][0]["rule"], o["deps"][0]["newer"], o["deps"][0]["exists"]]')" \
    '[1, true, "mtime", true, true]' "--json: decided by mtime, newer"

touch -d @1699999999.25 "$out/dep.h"
expect_exit -m "outside dependency, older mtime: up to date" \
    0 depcheck t.o "$out/dep.h"
expect_exit -m "--why, older by mtime" 0 depcheck --why t.o "$out/dep.h"
like "$(cat "$T_ERR")" "^depcheck: t\\.o is up to date: 1 dependenc(y|ies) older by mtime \\(newest $(_ere_quote "$out")/dep\\.h\\)\$" \
    "--why: older by mtime, the newest named"
echo d2 >"$out/dep2.h"
touch -d @1600000000 "$out/dep2.h"
expect_fail -m "--why, two older dependencies" \
    0 "depcheck: t.o is up to date: 2 dependencies older by mtime (newest $out/dep.h)" \
    depcheck --why t.o "$out/dep2.h" "$out/dep.h"

# Nanoseconds count.
touch -d @1700000000.500000001 "$out/dep.h"
if [ "$(stat -c %y "$out/dep.h")" = "$(stat -c %y t.o)" ]; then
	skip "this file system has no nanosecond mtimes" 2
else
	expect_exit -m "outside dependency 1 ns newer: stale" \
	    1 depcheck t.o "$out/dep.h"
	touch -d @1700000000.499999999 "$out/dep.h"
	expect_exit -m "outside dependency 1 ns older: up to date" \
	    0 depcheck t.o "$out/dep.h"
fi

# The same file by a relative path that leaves the root.
rel=../../${out##*/}/dep.h
if [ "$(cd "$(dirname "$rel")" 2>/dev/null && pwd -P)" = "$out" ]; then
	touch -d @1700000000.5 "$out/dep.h"
	expect_exit -m "a relative path out of the root, equal mtimes: stale" \
	    1 depcheck t.o "$rel"
	touch -d @1600000000 "$out/dep.h"
	expect_exit -m "a relative path out of the root, older: up to date" \
	    0 depcheck t.o "$rel"
else
	skip "no relative path from the root to $out" 2
fi

# A target outside, a dependency inside; both outside.
echo i >in.h
touch -d @1700000000 in.h
echo o >"$out/t.o"
touch -d @1700000001 "$out/t.o"
expect_exit -m "outside target, inside dependency older by mtime: up to date" \
    0 depcheck "$out/t.o" in.h
touch -d @1700000001 in.h
expect_exit -m "outside target, inside dependency at the same mtime: stale" \
    1 depcheck "$out/t.o" in.h
expect_exit -m "both outside, dependency older: up to date" \
    0 depcheck "$out/t.o" "$out/dep.h"
touch -d @1700000001 "$out/dep.h"
expect_exit -m "both outside, same mtime: stale" \
    1 depcheck "$out/t.o" "$out/dep.h"
rm "$out/dep.h"
expect_fail -m "a missing outside dependency is an error" \
    2 "depcheck: dependency '$out/dep.h' does not exist" \
    depcheck "$out/t.o" "$out/dep.h"

# An inside dependency next to an outside one: each by its own rule.
echo o >t.o
echo i >in.h
touch -d @1000000000 "$out/dep2.h"
expect_exit -m "inside dependency written after, outside one older: stale" \
    1 depcheck --json t.o in.h "$out/dep2.h"
is "$(json_eval "$T_OUT" '[[d["rule"], d["newer"]] for d in o["deps"]]')" \
    '[["seq", true], ["mtime", false]]' "--json: seq for the inside one, mtime for the outside"

done_testing
