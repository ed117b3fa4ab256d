#!/usr/bin/env bash
# Area 1 (check): --json prints one object that a stock parser accepts for
# every file name (a double quote, a backslash, a newline, a byte that is
# not UTF-8), with the exact bytes in "path_b64" / "target_b64" when the
# name is not UTF-8; the fields of the interface.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

# check_json DESC NAME: NAME written after t.o: a stale --json check.
check_json()
{
	local desc=$1 name=$2 want_hex got

	want_hex=$(hex "$name")
	echo o >t.o
	echo dep >"$name"
	expect_exit -m "--json $desc: exit 1" 1 depcheck --json t.o "$name"
	if ! got=$(json_eval "$T_OUT" '" ".join([pb(o["deps"][0], "path"), str(len(o["deps"]))])' 2>&1); then
		fail "--json $desc: parses" "$got"
		diag_last
		return
	fi
	pass "--json $desc: parses"
	is "$got" "$want_hex 1" "--json $desc: the path has the exact bytes"
	is "$(json_eval "$T_OUT" '[o["target"], o["exit"], o["stale"], o["target_exists"], o["deps"][0]["exists"], o["deps"][0]["newer"], o["deps"][0]["rule"]]')" \
	    '["t.o", 1, true, true, true, true, "seq"]' \
	    "--json $desc: target, exit, stale, target_exists, exists, newer, rule"
	is "$(json_eval "$T_OUT" 'o["deps"][0]["seq"] > o["target_seq"]')" true \
	    "--json $desc: the dependency's seq is above the target's"
}

check_json 'a double quote' 'a"quote.h'
check_json 'a backslash' 'back\slash.h'
check_json 'a newline' $'new\nline.h'
check_json 'a tab and an escape' $'tab\there\033.h'
check_json 'UTF-8' $'caf\xc3\xa9.h'
is "$(json_eval "$T_OUT" '"path_b64" in o["deps"][0]')" false \
    "--json: a UTF-8 name has no path_b64"
check_json 'a non-UTF-8 byte' $'bad\377byte.h'
is "$(json_eval "$T_OUT" '[o["deps"][0]["path"] == "bad\ufffdbyte.h", "path_b64" in o["deps"][0]]')" \
    '[true, true]' "--json: the bad byte shows as U+FFFD, path_b64 is there"
is "$(json_eval "$T_OUT" 'o["deps"][0]["path_b64"]')" "$(printf 'bad\377byte.h' | base64)" \
    "--json: path_b64 is the name in base64"
check_json 'a truncated UTF-8 sequence' $'trunc\xc3'
check_json 'an overlong encoding' $'over\xc0\xafx'

# The target's name, not UTF-8: target_b64.
tname=$'t\377.o'
echo dep >dep.h
echo o >"$tname"
expect_exit -m "--json, target not UTF-8: up to date" \
    0 depcheck --json "$tname" dep.h
is "$(json_eval "$T_OUT" '[pb(o, "target"), o["target"], o["exit"], o["stale"], o["deps"][0]["newer"]]')" \
    "[\"$(hex "$tname")\", \"t\\ufffd.o\", 0, false, false]" \
    "--json, target not UTF-8: target_b64, U+FFFD, exit 0, not stale"

# Several dependencies; the whole object.
echo 1 >d1
echo o >t.o
echo 2 >d2
expect_exit -m "--json with two dependencies: stale" 1 depcheck --json t.o d1 d2
is "$(json_eval "$T_OUT" '[[d["path"], d["exists"], d["newer"], d["rule"]] for d in o["deps"]]')" \
    '[["d1", true, false, "seq"], ["d2", true, true, "seq"]]' \
    "--json: each dependency, in command-line order"
is "$(json_eval "$T_OUT" '[o["target_seq"], o["rule"]] + [d["seq"] for d in o["deps"]]')" \
    "[$(seq_of t.o), \"seq\", $(seq_of d1), $(seq_of d2)]" \
    "--json: target_seq and seqs agree with depcheck seq; rule seq"
is "$(nlines "$T_OUT")" 1 "--json: one line"

# A missing target.
expect_exit -m "--json, missing target: stale" 1 depcheck --json nosuch.o d1
is "$(json_eval "$T_OUT" '[o["target"], o["exit"], o["stale"], o["target_exists"], o["deps"][0]["newer"]]')" \
    '["nosuch.o", 1, true, false, true]' \
    "--json, missing target: target_exists false, every dependency newer"

# depcheck seq --json, with the same names.
expect_exit -m "seq --json with odd names" \
    0 depcheck seq --json 'a"quote.h' $'new\nline.h' $'bad\377byte.h' nosuch.h
is "$(json_eval "$T_OUT" '[pb(p, "path") for p in o["paths"]]')" \
    "[\"$(hex 'a"quote.h')\", \"$(hex $'new\nline.h')\", \"$(hex $'bad\377byte.h')\", \"$(hex nosuch.h)\"]" \
    "seq --json: exact bytes of every path"
is "$(json_eval "$T_OUT" '[p["state"] for p in o["paths"]]')" \
    '["exists", "exists", "exists", "missing"]' "seq --json: states"

done_testing
