# Shared by t9020 and t9021 (issue 14): a generated project built by plain
# make outside the root, and the verdicts of a daemon that sees a copy of
# it for the first time, against make's rule with equal counting as stale.
# shellcheck shell=bash

# fs_project DIR N: N objects, each built by make from its source and a
# common header (obj/xK.o: src/xK.c inc/common.h), with one depfile
# (all.d) naming every rule, built with plain make.
fs_project()
{
	local dir=$1 n=$2 k

	mkdir -p "$dir/src" "$dir/inc" "$dir/obj"
	echo '#define COMMON 1' >"$dir/inc/common.h"
	: >"$dir/all.d"
	for ((k = 1; k <= n; k++)); do
		echo "int x$k;" >"$dir/src/x$k.c"
		echo "obj/x$k.o: src/x$k.c inc/common.h" >>"$dir/all.d"
	done
	cat >"$dir/Makefile" <<'EOF_MK'
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=obj/%.o)
all: $(OBJS)
obj/%.o: src/%.c inc/common.h
	cat $^ >$@
EOF_MK
	make -s -C "$dir" >/dev/null || give_up "make in $dir failed"
}

# fs_expected DIR: "targets N" (the rules of DIR/all.d), then the targets
# make's rule calls stale when equal mtimes count as stale, by the files'
# own mtimes (as stat(2) gives them on that file system), sorted.
fs_expected()
{
	python3 - "$1" <<'EOF_PY'
import os, sys
d = sys.argv[1]
out = []
n = 0
for line in open(os.path.join(d, "all.d")):
    n += 1
    t, deps = line.split(":")
    t = t.strip()
    tm = os.stat(os.path.join(d, t)).st_mtime_ns
    if any(os.stat(os.path.join(d, p)).st_mtime_ns >= tm for p in deps.split()):
        out.append(t)
print("\n".join(["targets %d" % n] + sorted(out)))
EOF_PY
}

# fs_depcheck DIR: "targets N" (the JSON objects depcheck --depfile
# printed, run in DIR), then the targets it calls stale, sorted; T_RC is
# its exit status.
fs_depcheck()
{
	local here=$PWD

	cd "$1" || exit 1
	run_cmd depcheck --json --depfile all.d
	cd "$here" || exit 1
	python3 - "$T_OUT" <<'EOF_PY'
import json, sys
objs = [json.loads(line) for line in open(sys.argv[1])]
out = [o["target"] for o in objs if o["stale"]]
print("\n".join(["targets %d" % len(objs)] + sorted(out)))
EOF_PY
}
