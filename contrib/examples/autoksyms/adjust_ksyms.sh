#!/bin/sh
# Like the kernel's scripts/adjust_autoksyms.sh: find the symbols the
# objects need and write one dependency file per symbol whose state
# changed, so that make rebuilds the objects that export them.  Right
# after the objects were built: on a file system with 1-second
# timestamps, in the same second.
#
#	adjust_ksyms.sh OBJECT...
set -eu
mkdir -p ksym
for sym in $(nm -u "$@" | awk '$1 == "U" && $2 ~ /^put_user_/ { print $2 }'); do
	file=ksym/$sym.h
	want="#define EXPORT_$(echo "$sym" | tr a-z A-Z) 1"
	if [ "$(cat "$file" 2>/dev/null)" != "$want" ]; then
		echo "$want" >"$file"
		# Where coarse timestamps must be simulated (no loop device),
		# give the file the mtime of the object built just before.
		if [ -n "${KSYMS_SAME_MTIME_AS:-}" ]; then
			touch -r "$KSYMS_SAME_MTIME_AS" "$file"
		fi
		echo "  KSYM    $sym"
	fi
done
