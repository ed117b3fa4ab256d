#!/bin/sh
# Generate depcheck's bash completion: the hand-written functions of
# depcheck.bash.in, then a table of each subcommand's options and operands
# parsed from `depcheck --help`.  Those usage lines are client/depcheck.c's
# cmd_table, so a new subcommand, option or operand completes with no edit
# here.  The binary is asked rather than the C source parsed: its help is
# exactly what it accepts (reserved subcommands are left out), and C string
# concatenation needs no parser.  make runs it:
#
#	sh contrib/completion/mkcompletion.sh build/bin/depcheck \
#	    contrib/completion/depcheck.bash.in >OUT
#
# How a usage line is read ("[--ignore GLOB]...", "[--why|-v]", "-- CMD"):
# a word starting with '-' is an option, but "--" is an operand of its own
# (run's and exec's separator); an upper-case word right after an option,
# in the same brackets or with no brackets at all, is that option's value;
# any other word is an operand, in order, "..." meaning it repeats; "|"
# separates alternatives: outside brackets it starts another form of the
# same subcommand ("stop [DIR] | stop --all"), whose options count but
# whose operands do not.  A line whose second word is an option is the
# check's own (`depcheck TARGET DEP...`, `depcheck --help | --version`).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: mkcompletion.sh DEPCHECK TEMPLATE" >&2
	exit 2
fi
depcheck=$1
template=$2

help=$("$depcheck" --help) || {
	echo "mkcompletion.sh: '$depcheck --help' failed" >&2
	exit 1
}
cat "$template"
printf '%s\n' "$help" | awk '
function fail(msg) {
	printf "mkcompletion.sh: %s\n    in: %s\n", msg, line >"/dev/stderr"
	failed = 1
	exit 1
}
# Only these characters reach the generated shell code, unquoted.
function safe(w) {
	if (w !~ /^[-A-Za-z0-9_.]+$/)
		fail("unexpected word \"" w "\"")
	return w
}
function add(list, key, w) {
	if ((list, key, w) in seen)
		return
	seen[list, key, w] = 1
	table[list, key] = table[list, key] (table[list, key] == "" ? "" : " ") w
}
BEGIN {
	q = "\047"		# a single quote
}
/^(usage:)?[ \t]*depcheck / {
	line = $0
	sub(/^usage:/, "", line)
	# Brackets and bars become words of their own.
	s = line
	gsub(/\[/, " [ ", s)
	gsub(/\]/, " ] ", s)
	gsub(/\|/, " | ", s)
	n = split(s, w, /[ \t]+/)
	i = 1
	while (i <= n && w[i] == "")
		i++
	if (w[i] != "depcheck")
		next
	i++
	cmd = ""
	if (i <= n && w[i] !~ /^[-[]/) {
		cmd = safe(w[i])
		i++
		if (!(cmd in known)) {
			known[cmd] = 1
			subs = subs (subs == "" ? "" : " ") cmd
		}
	}
	keys[cmd] = 1
	depth = 0
	alt = 0			# another form of the command, after a "|"
	opt = ""		# an option that may take the next word
	nargs = 0
	delete a
	for (; i <= n; i++) {
		t = w[i]
		if (t == "")
			continue
		if (t == "[") {
			depth++
			opt = ""
		} else if (t == "]") {
			if (--depth < 0)
				fail("unbalanced ]")
			opt = ""
		} else if (t == "|" || t == "...") {
			if (t == "|" && depth == 0)
				alt = 1
			opt = ""
		} else if (alt && t == cmd) {
			opt = ""
		} else if (t == "--") {
			if (!alt)
				a[++nargs] = t
			opt = ""
		} else if (t ~ /^-/) {
			add("opts", cmd, safe(t))
			opt = t
		} else if (opt != "" && t ~ /^[A-Z]/) {
			add("vals", cmd, opt "=" safe(t))
			opt = ""
		} else if (!alt) {
			# "[DEP...]" and "DEP..." alike: the dots stay on the word
			a[++nargs] = safe(t)
			opt = ""
		} else {
			safe(t)
			opt = ""
		}
	}
	if (depth != 0)
		fail("unbalanced [")
	# The first line of a subcommand that has operands names them.
	if (!(cmd in args) && nargs > 0) {
		args[cmd] = a[1]
		for (j = 2; j <= nargs; j++)
			args[cmd] = args[cmd] " " a[j]
	}
}
END {
	if (failed)
		exit 1
	if (subs == "" || !("" in keys))
		fail("no usage lines found")
	print ""
	print "# Generated from `depcheck --help` (client/depcheck.c, cmd_table) by"
	print "# contrib/completion/mkcompletion.sh: do not edit, rebuild."
	print ""
	print "# The subcommands, in the order of depcheck --help."
	print "_depcheck_subcommands()"
	print "{"
	printf "\tsubs=%s%s%s\n", q, subs, q
	print "}"
	print ""
	print "# Set opts, vals (OPTION=METAVAR for options that take a value) and"
	print "# args (the operands in order; METAVAR... repeats) for subcommand $1,"
	print "# or for the check when $1 is empty.  Returns 1 for anything else."
	print "_depcheck_usage()"
	print "{"
	print "\tcase $1 in"
	nk = split(subs, order, " ")
	order[0] = ""
	for (k = 0; k <= nk; k++) {
		c = order[k]
		printf "\t%s)\n", c == "" ? q q : c
		printf "\t\topts=%s%s%s\n", q, table["opts", c], q
		printf "\t\tvals=%s%s%s\n", q, table["vals", c], q
		printf "\t\targs=%s%s%s\n", q, args[c], q
		print "\t\t;;"
	}
	print "\t*)"
	print "\t\treturn 1"
	print "\t\t;;"
	print "\tesac"
	print "}"
}'
