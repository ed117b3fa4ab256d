#!/usr/bin/env bash
# Area 8 (contrib): bash completion (issue 9).  The build generates it from
# `depcheck --help` (contrib/completion/mkcompletion.sh) beside the binaries,
# as $(O)/share/bash-completion/completions/depcheck.  Sourced in a new bash,
# with and without bash-completion loaded, it registers _depcheck for
# depcheck, and scripted completions (COMP_WORDS, COMP_CWORD, COMP_LINE,
# COMP_POINT set, _depcheck called, COMPREPLY read) give the subcommands of
# depcheck --help, each subcommand's options, file names for paths,
# directories for DIR, nothing for GLOB, and commands after run's and
# exec's `--`.  A subcommand added to the usage completes with no edit to
# the completion; make install puts the file where bash-completion's loader
# finds it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

COMP=$(cd -P "$DEPCHECK_BINDIR/.." && pwd)/share/bash-completion/completions/depcheck
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

# The tree to complete in, and two commands of our own on PATH.
mkdir sub
touch a.c a.o b.h 'my file.c' sub/x.c
mkdir "$SCRATCH/bin"
printf '#!/bin/sh\n' >"$SCRATCH/bin/mytool1"
printf '#!/bin/sh\n' >"$SCRATCH/bin/mytool2"
chmod +x "$SCRATCH/bin/mytool1" "$SCRATCH/bin/mytool2"

# What a completion function sees from bash when the cursor is at the
# end of LINE: the words (a trailing space starts an empty one), the
# current index, the line and the point.  Prints COMPREPLY sorted, one
# per line.  compopt works only while bash itself completes: a no-op.
cat >"$SCRATCH/driver.sh" <<'EOF'
mode=$1 compfile=$2 line=$3
if [ "$mode" = bc ]; then
	# shellcheck disable=SC1090
	. "$BASH_COMPLETION" || exit 3
fi
# shellcheck disable=SC1090
. "$compfile" || exit 3
compopt() { :; }
COMP_LINE=$line
COMP_POINT=${#line}
read -r -a COMP_WORDS <<<"$line"
[[ $line == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_depcheck depcheck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
EOF

# comp MODE LINE [FILE]: the completions at the end of LINE, joined by
# spaces; MODE plain (the file alone) or bc (after bash-completion).
comp()
{
	env -i PATH="$SCRATCH/bin:$PATH" HOME="$ROOT" \
	    BASH_COMPLETION="$BASH_COMPLETION" bash --norc --noprofile \
	    "$SCRATCH/driver.sh" "$1" "${3:-$COMP}" "$2" 2>"$SCRATCH/comp.err" |
	    paste -s -d ' '
	if [ -s "$SCRATCH/comp.err" ]; then
		diag_file "stderr of completing '$2'" "$SCRATCH/comp.err"
	fi
}

# has_all GOT WORD...: every WORD is one of GOT's words.
has_all()
{
	local got=" $1 " w

	shift
	for w in "$@"; do
		[[ $got == *" $w "* ]] || return 1
	done
}

# offers DESC GOT WORD... [-not WORD...]: a test that GOT holds every
# WORD before -not and none after it.
offers()
{
	local desc=$1 got=$2 w no=0

	shift 2
	for w in "$@"; do
		if [ "$w" = -not ]; then
			no=1
		elif [ "$no" = 0 ] && ! has_all "$got" "$w"; then
			fail "$desc" "got: $got" "missing: $w"
			return 1
		elif [ "$no" = 1 ] && has_all "$got" "$w"; then
			fail "$desc" "got: $got" "unexpected: $w"
			return 1
		fi
	done
	pass "$desc"
}

if [ ! -f "$COMP" ]; then
	give_up "the build generated $COMP"
fi
pass "the build generated the completion beside the binaries"
ok "it is valid bash" bash -n "$COMP"
if command -v shellcheck >/dev/null 2>&1; then
	ok "shellcheck finds nothing in it" shellcheck -s bash "$COMP"
else
	skip "shellcheck not installed"
fi
# shellcheck disable=SC2016	# $1 is the inner shell's
is "$(env -i bash --norc --noprofile -c '. "$1" && complete -p depcheck' \
    _ "$COMP")" "complete -F _depcheck depcheck" \
    "sourced, it registers _depcheck for depcheck (complete -p)"

# The subcommands, as depcheck --help lists them (reserved ones are not).
subs=$(depcheck --help | sed -n 's/^ *depcheck \([a-z][a-z-]*\).*/\1/p' |
    LC_ALL=C sort | paste -s -d ' ')
offers "depcheck --help lists its subcommands" "$subs" \
    check run start stop status seq exec

modes=(plain)
if [ -f "$BASH_COMPLETION" ]; then
	modes+=(bc)
fi
before=$T_N
for m in "${modes[@]}"; do
	if [ "$m" = bc ]; then
		how="with bash-completion"
	else
		how="without bash-completion"
	fi
	# subcommands
	is "$(comp "$m" 'depcheck ')" "$subs" \
	    "$how: depcheck TAB: the subcommands of depcheck --help"
	is "$(comp "$m" 'depcheck st')" "start status stop" \
	    "$how: depcheck st TAB"
	is "$(comp "$m" 'depcheck s')" \
	    "$(printf '%s\n' "${subs// /$'\n'}" sub | grep '^s' |
	    LC_ALL=C sort | paste -s -d ' ')" \
	    "$how: depcheck s TAB: subcommands and files (a check's TARGET)"

	# options
	offers "$how: depcheck - TAB: the check's options" \
	    "$(comp "$m" 'depcheck -')" --why -v --newer -n -0 --json \
	    --strict --no-sync --help --version -not -- --echo
	offers "$how: depcheck check -- TAB: check's options" \
	    "$(comp "$m" 'depcheck check --')" --why --newer --json \
	    --strict --no-sync -not --echo --help
	offers "$how: depcheck run -- TAB: run's options and --" \
	    "$(comp "$m" 'depcheck run --')" --why --echo --strict -- \
	    -not --json
	offers "$how: depcheck start -- TAB: start's options" \
	    "$(comp "$m" 'depcheck start --')" --foreground --ignore \
	    -not --why --
	offers "$how: depcheck exec - TAB: exec's options and --" \
	    "$(comp "$m" 'depcheck exec -')" --strict --why -- -not --echo
	is "$(comp "$m" 'depcheck status ')" "" \
	    "$how: depcheck status TAB: no operands, nothing"

	# paths
	is "$(comp "$m" 'depcheck a.')" "a.c a.o" "$how: depcheck a. TAB"
	is "$(comp "$m" 'depcheck --why a.o ')" "a.c a.o b.h my file.c sub" \
	    "$how: depcheck --why a.o TAB: every file (a DEP)"
	is "$(comp "$m" 'depcheck check a.o b')" "b.h" \
	    "$how: depcheck check a.o b TAB"
	is "$(comp "$m" 'depcheck my')" "my file.c" \
	    "$how: a name with a space"
	is "$(comp "$m" 'depcheck seq a.c sub/')" "sub/x.c" \
	    "$how: depcheck seq a.c sub/ TAB: PATH... repeats"
	is "$(comp "$m" 'depcheck start ')" "sub" \
	    "$how: depcheck start TAB: directories only (DIR)"
	is "$(comp "$m" 'depcheck stop s')" "sub" \
	    "$how: depcheck stop s TAB: directories only (DIR)"
	is "$(comp "$m" 'depcheck start --ignore ')" "" \
	    "$how: depcheck start --ignore TAB: nothing for a GLOB"
	is "$(comp "$m" 'depcheck start --ignore x s')" "sub" \
	    "$how: the option's value is skipped: DIR again"

	# commands after --
	is "$(comp "$m" 'depcheck run a.o a.c -- mytoo')" "mytool1 mytool2" \
	    "$how: depcheck run a.o a.c -- mytoo TAB: commands"
	is "$(comp "$m" 'depcheck exec ')" "--" \
	    "$how: depcheck exec TAB: the -- it needs"
	is "$(comp "$m" 'depcheck exec --why -- mytoo')" "mytool1 mytool2" \
	    "$how: depcheck exec --why -- mytoo TAB: commands"
	is "$(comp "$m" 'depcheck exec -- mytool1 a.')" "a.c a.o" \
	    "$how: depcheck exec -- mytool1 a. TAB: the command's arguments"
	is "$(comp "$m" 'depcheck run --why a.o a.c -- mytool2 sub/')" \
	    "sub/x.c" "$how: depcheck run ... -- mytool2 sub/ TAB"
done
[ "${#modes[@]}" -eq 2 ] ||
    skip "bash-completion is not installed ($BASH_COMPLETION)" "$((T_N - before))"

# Generated, not written by hand: a subcommand that only the usage names
# completes, with its options, option values and operands.
cat >"$SCRATCH/newer-depcheck" <<EOF
#!/bin/sh
"$DEPCHECK_BINDIR/depcheck" --help | sed '2i\\
       depcheck frob [--zap N] [--all] DIR'
EOF
chmod +x "$SCRATCH/newer-depcheck"
run_cmd sh "$REPO_DIR/contrib/completion/mkcompletion.sh" \
    "$SCRATCH/newer-depcheck" "$REPO_DIR/contrib/completion/depcheck.bash.in"
if [ "$T_RC" -eq 0 ]; then
	cp "$T_OUT" "$SCRATCH/newer.bash"
	pass "mkcompletion.sh reads a usage with one more subcommand"
	offers "the new subcommand completes" \
	    "$(comp plain 'depcheck ' "$SCRATCH/newer.bash")" frob check exec
	is "$(comp plain 'depcheck frob --' "$SCRATCH/newer.bash")" \
	    "--all --zap" "its options complete"
	is "$(comp plain 'depcheck frob --zap ' "$SCRATCH/newer.bash")" "" \
	    "its option's value (N) gets nothing"
	is "$(comp plain 'depcheck frob --zap 3 ' "$SCRATCH/newer.bash")" \
	    "sub" "its operand (DIR) gets directories"
else
	fail "mkcompletion.sh reads a usage with one more subcommand"
	diag_last
fi
# A usage it cannot read stops the build rather than completing wrongly.
# shellcheck disable=SC2016	# a $(...) for the generator to refuse
printf '#!/bin/sh\necho "usage: depcheck [--x] \\$(id)"\n' \
    >"$SCRATCH/bad-depcheck"
chmod +x "$SCRATCH/bad-depcheck"
run_cmd sh "$REPO_DIR/contrib/completion/mkcompletion.sh" \
    "$SCRATCH/bad-depcheck" "$REPO_DIR/contrib/completion/depcheck.bash.in"
if [ "$T_RC" -ne 0 ] && grep -q 'unexpected word' "$T_ERR"; then
	pass "mkcompletion.sh refuses a usage word it cannot quote"
else
	fail "mkcompletion.sh refuses a usage word it cannot quote"
	diag_last
fi

# make install: into $(PREFIX)/share/bash-completion/completions, where
# bash-completion's loader finds it (via XDG_DATA_DIRS, which holds
# /usr/local/share by default).
o_dir=$(cd -P "$DEPCHECK_BINDIR/.." && pwd)
if [ "$(dirname "$o_dir")" != "$REPO_DIR" ]; then
	skip "$DEPCHECK_BINDIR is not a build of this repository: no make install" 3
else
	inst=$(make_tmpdir)
	run_cmd env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$REPO_DIR" \
	    -o all O="$(basename "$o_dir")" PREFIX="$inst" install
	if [ "$T_RC" -ne 0 ]; then
		fail "make install PREFIX=$inst"
		diag_last
	fi
	dest=$inst/share/bash-completion/completions/depcheck
	ok "make install puts it in PREFIX/share/bash-completion/completions" \
	    cmp "$COMP" "$dest"
	if [ -f "$BASH_COMPLETION" ]; then
		# shellcheck disable=SC2016	# $1 is the inner shell's
		is "$(env -i HOME="$ROOT" XDG_DATA_DIRS="$inst/share" bash \
		    --norc --noprofile -c '. "$1"; _completion_loader depcheck
		    complete -p depcheck' _ "$BASH_COMPLETION" 2>&1)" \
		    "complete -F _depcheck depcheck" \
		    "bash-completion's loader finds the installed file"
	else
		skip "bash-completion is not installed ($BASH_COMPLETION)"
	fi
fi

done_testing
