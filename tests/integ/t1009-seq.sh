#!/usr/bin/env bash
# Area 1 (check): depcheck seq: "SEQ STATE WRITTEN PATH" per path, in the
# order of the writes; missing paths; a directory's seq moves when an
# entry is added or removed; --json.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

start_daemon
now=$(date +%s)
echo 1 >a
echo 2 >b
expect_exit -m "depcheck seq a b nosuch" 0 depcheck seq a b nosuch
cp "$T_OUT" "$SCRATCH/seq"
is "$(nlines "$SCRATCH/seq")" 3 "seq: one line per path"
l1=$(sed -n 1p "$SCRATCH/seq")
l2=$(sed -n 2p "$SCRATCH/seq")
l3=$(sed -n 3p "$SCRATCH/seq")
like "$l1" "^[0-9]+ exists $iso a\$" "seq: a exists, with the time of its write"
like "$l2" "^[0-9]+ exists $iso b\$" "seq: b exists"
like "$l3" "^[0-9]+ missing ($iso|-) nosuch\$" "seq: nosuch is missing"
s1=${l1%% *}
s2=${l2%% *}
ok "seq: b ($s2) written after a ($s1)" test "$s2" -gt "$s1"
w=$(printf '%s' "$l1" | cut -d ' ' -f 3)
t=$(date -u -d "${w%Z}" +%s 2>/dev/null)
ok "seq: a's write time $w is now (UTC)" \
    test -n "$t" -a "${t:-0}" -ge $((now - 60)) -a "${t:-0}" -le $(($(date +%s) + 60))

# Deletion is a write: the seq moves on, the state is missing.
rm a
expect_exit -m "depcheck seq a after rm" 0 depcheck seq a
like "$(cat "$T_OUT")" "^[0-9]+ missing ($iso|-) a\$" "seq: a is missing"
s3=$(cut -d ' ' -f 1 "$T_OUT")
ok "seq: the deletion ($s3) comes after b's write ($s2)" test "$s3" -gt "$s2"
echo 3 >a
s4=$(seq_of a)
ok "seq: a re-created ($s4) after its deletion ($s3)" test "$s4" -gt "$s3"

# A directory's seq changes when an entry is added or removed.
mkdir d
echo x >d/x
sd1=$(seq_of d)
sx=$(seq_of d/x)
like "$sd1 $sx" '^[0-9]+ [0-9]+$' "seq of a directory and a file in it"
echo y >d/y
sd2=$(seq_of d)
ok "adding d/y moves d's seq ($sd1 -> $sd2)" test "$sd2" -gt "$sd1"
echo x2 >d/x
is "$(seq_of d)" "$sd2" "rewriting d/x leaves d's seq"
rm d/y
sd3=$(seq_of d)
ok "removing d/y moves d's seq ($sd2 -> $sd3)" test "$sd3" -gt "$sd2"

# Paths relative to the working directory.
cd d || exit 1
expect_exit -m "seq from a subdirectory" 0 depcheck seq x ../b
like "$(sed -n 1p "$T_OUT")" "^[0-9]+ exists $iso x\$" "seq from d: x as given"
is "$(sed -n 2p "$T_OUT" | cut -d ' ' -f 1)" "$s2" "seq from d: ../b is b"
cd "$ROOT" || exit 1

# --json
expect_exit -m "seq --json" 0 depcheck seq --json a b nosuch
is "$(json_eval "$T_OUT" '[[p["path"], p["state"]] for p in o["paths"]]')" \
    '[["a", "exists"], ["b", "exists"], ["nosuch", "missing"]]' "seq --json: paths and states"
is "$(json_eval "$T_OUT" '[p["seq"] for p in o["paths"]][:2]')" "[$s4, $s2]" \
    "seq --json: seqs as in the text"
is "$(json_eval "$T_OUT" 'o["seq"] >= max(p["seq"] for p in o["paths"])')" true \
    "seq --json: seq is the high-water mark"
like "$(json_eval "$T_OUT" 'o["paths"][1]["written"]')" "^$iso\$" \
    "seq --json: written is ISO-8601 UTC"

done_testing
