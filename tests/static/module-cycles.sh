#!/bin/sh
# No cycle among the modules of a directory: X uses Y when X.c or X.h
# includes Y.h of the same directory.  A module that needs to call back
# up the graph takes a callback instead (conn.h's conn_gone_cb, watch.h's
# readable callback, sync.h's settled test), so that each file can be read,
# and unit-tested, with only what is below it.
#	tests/static/module-cycles.sh daemon client proto
# Exit 0 when every directory is acyclic, 1 naming a cycle's modules.
status=0
for dir in "$@"; do
	edges=$(
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		m=${f##*/}
		m=${m%.[ch]}
		echo "$m $m"
		sed -n 's/^#include "\([a-z0-9_-]*\)\.h".*/\1/p' "$f" |
		while read -r h; do
			[ "$h" != "$m" ] && [ -f "$dir/$h.h" ] && echo "$m $h"
		done
	done)
	if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) ||
	    [ -n "$out" ]; then
		echo "not ok - $dir/: modules include each other:" \
		    "$(printf '%s\n' "$out" | sed -n 's/^tsort: //p' |
		    grep -v 'input contains a loop' | sort -u | tr '\n' ' ')" >&2
		status=1
	else
		echo "ok - $dir/: no module includes its way back to itself"
	fi
done
exit $status
