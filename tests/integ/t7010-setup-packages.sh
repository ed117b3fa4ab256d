#!/usr/bin/env bash
# Area 7 (make): the set-up of `make check` and `make demo` (issue 9).
# One list, .ci/packages, read by .ci/need-packages:
#  (a) the README quotes the check list exactly; the demo list is part of
#      it;
#  (b) nothing missing: not a word, status 0;
#  (c) a package missing and no way to install it (not root, or no
#      apt-get): status 2 and one line with the exact apt-get command, on
#      stderr (-m: on stdout, for make's $(error)); make check and make
#      demo stop while reading the Makefile with that line, but not
#      make -n, nor with NEED_PACKAGES=no;
#  (d) as root with apt-get (a stand-in here, first on PATH): it says what
#      it installs, runs apt-get update, then apt-get install -y
#      --no-install-recommends with only the missing packages,
#      noninteractively, apt's output on stderr; a failing apt-get stops
#      it with one line;
#  (e) no dpkg-query (not Debian): one note, status 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NEED=$REPO_DIR/.ci/need-packages
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
command -v dpkg-query >/dev/null 2>&1 || skip_all "no dpkg-query: not Debian"
dpkg-query -W -f='${db:Status-Abbrev}' coreutils 2>/dev/null | grep -q '^.i ' ||
    skip_all "dpkg-query does not list coreutils as installed"

# ---------------------------------------------------------- (a) the list

check_list=$("$NEED" -l check)
demo_list=$("$NEED" -l demo)
quote=$(awk '/apt-get update && apt-get install -y --no-install-recommends/ {
		on = 1
	}
	on {
		line = $0
		more = sub(/\\$/, "", line)
		printf "%s ", line
		if (!more)
			exit
	}' "$REPO_DIR/README" |
    sed 's/.*--no-install-recommends//' | tr -s ' \t' '  ' |
    sed 's/^ //; s/ $//')
is "$quote" "$check_list" \
    "the README quotes .ci/packages' check list in its apt-get line"
missing=
for p in $demo_list; do
	case " $check_list " in
	*" $p "*)	;;
	*)	missing="$missing $p" ;;
	esac
done
is "$missing" "" "every package make demo needs is in the check list"
like "$demo_list" '^build-essential pkg-config libuv1-dev libsqlite3-dev( |$)' \
    "make demo installs what the build needs"

# ---------------------------------------------------------- fake lists

# A copy of the script and lists, where nobody can read them too.
KIT=$(make_tmpdir)
chmod 0755 "$KIT"
cp "$NEED" "$KIT/need-packages"
printf '%s\n' '# installed everywhere' 'coreutils	check demo	# test' \
    'bash	check	# test' >"$KIT/have"
printf '%s\n' 'coreutils	check demo	# test' \
    'depcheck-no-such-package	check	# test' \
    'depcheck-no-such-demo	demo	# test' >"$KIT/miss"
chmod 0644 "$KIT/have" "$KIT/miss"
APT="apt-get update \&\& apt-get install -y --no-install-recommends depcheck-no-such-package"

# need [-u] [-p PATH] LIST ARGS: the script on LIST, under env -i (-u: as
# nobody, when we are root); T_RC, T_OUT, T_ERR.
need()
{
	local as=() path=$SYSPATH

	if [ "$1" = -u ]; then
		[ "$(id -u)" = 0 ] && as=(setpriv "--reuid=$(id -u nobody)" \
		    "--regid=$(id -g nobody)" --clear-groups)
		shift
	fi
	if [ "$1" = -p ]; then
		path=$2
		shift 2
	fi
	local list=$1

	shift
	run_cmd env -i "PATH=$path" "NEED_PACKAGES_FILE=$KIT/$list" \
	    "${as[@]}" "$KIT/need-packages" "$@"
}

# quiet DESC: the last run said nothing and exited 0.
quiet()
{
	if [ "$T_RC" -eq 0 ] && [ ! -s "$T_OUT" ] && [ ! -s "$T_ERR" ]; then
		pass "$1"
	else
		fail "$1" "want status 0 and no output"
		diag_last
	fi
}

# one_line DESC FILE OTHER STATUS REGEX: the last run exited STATUS, FILE
# holds one line matching REGEX, OTHER nothing.
one_line()
{
	if [ "$T_RC" -eq "$4" ] && [ "$(nlines "$2")" -eq 1 ] &&
	    [[ $(cat "$2") =~ $5 ]] && [ ! -s "$3" ]; then
		pass "$1"
	else
		fail "$1" "want status $4 and one line matching: $5"
		diag_last
	fi
}

# ---------------------------------------------------------- (b), (c)

need have check
quiet "all installed: no output, status 0"
need have demo
quiet "all installed (demo): no output"
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
	skip "no setpriv: cannot run as another user" 2
else
	need -u miss check
	one_line "not root: one line on stderr with the apt-get command" \
	    "$T_ERR" "$T_OUT" 2 \
	    "^make check: Debian packages missing \(run as root: $APT\)$"
	need -u miss -m check
	one_line "-m: that line on stdout instead" "$T_OUT" "$T_ERR" 2 \
	    "^make check: Debian packages missing \(run as root: $APT\)$"
fi

# A PATH with what the script needs, but no apt-get (or no dpkg-query).
# kit_path DIR TOOL...: DIR holds links to TOOLs.
kit_path()
{
	local d=$1 t

	shift
	mkdir -p "$d"
	for t in "$@"; do
		ln -sf "$(command -v "$t")" "$d/$t"
	done
}
kit_path "$KIT/noapt" bash env dirname sed tr id dpkg-query
kit_path "$KIT/nodpkg" bash env dirname sed tr id
need -p "$KIT/noapt" miss check
one_line "no apt-get: one line with the apt-get command" "$T_ERR" "$T_OUT" 2 \
    "^make check: Debian packages missing \(run as root: $APT\)$"
need -p "$KIT/nodpkg" miss check
one_line "no dpkg-query: one note on stderr, status 0" "$T_ERR" "$T_OUT" 0 \
    "^make check: no dpkg-query \(not Debian\?\): not checking for coreutils depcheck-no-such-package$"
run_cmd env -i "PATH=$KIT/noapt" NEED_PACKAGES=no \
    "NEED_PACKAGES_FILE=$KIT/miss" "$KIT/need-packages" check
quiet "NEED_PACKAGES=no: no check"

# make check and make demo, in a copy of the Makefile and .ci/ only (had
# they not stopped, they would fail at once: there are no sources).
MK=$KIT/mk
mkdir -p "$MK/.ci"
cp "$REPO_DIR/Makefile" "$MK/"
cp "$NEED" "$MK/.ci/need-packages"
chmod -R a+rX "$MK"
# mk_kit [-u] GOAL ARGS: make GOAL in the copy, with the missing list,
# no apt-get on PATH (-u: as nobody, when root).
mk_kit()
{
	local as=()

	if [ "$1" = -u ]; then
		[ "$(id -u)" = 0 ] && as=(setpriv "--reuid=$(id -u nobody)" \
		    "--regid=$(id -g nobody)" --clear-groups)
		shift
	fi
	run_cmd env -i "PATH=$SYSPATH" "NEED_PACKAGES_FILE=$KIT/miss" \
	    "${as[@]}" make -C "$MK" --no-print-directory "$@"
}
STOP="\*\*\* make check: Debian packages missing \(run as root: $APT\)\.  Stop\.$"
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
	skip "no setpriv: cannot run as another user" 4
else
	mk_kit -u check
	one_line "make check, a package missing: stops with the apt-get line" \
	    "$T_ERR" "$T_OUT" 2 "^Makefile:[0-9]+: $STOP"
	mk_kit -u demo
	one_line "make demo, a package missing: the same" "$T_ERR" "$T_OUT" 2 \
	    "^Makefile:[0-9]+: \*\*\* make demo: Debian packages missing \(run as root: ${APT%package}demo\)"
	mk_kit -u -n check
	ok "make -n check: no package check" \
	    not grep -q 'Debian packages missing' "$T_ERR"
	mk_kit -u NEED_PACKAGES=no check
	ok "make check NEED_PACKAGES=no: no package check" \
	    not grep -q 'Debian packages missing' "$T_ERR"
fi

# ---------------------------------------------------------- (d) apt-get

if [ "$(id -u)" != 0 ]; then
	skip "not root: the install path needs root" 9
	done_testing
fi
# The stand-in apt-get logs its arguments and DEBIAN_FRONTEND, prints a
# line on stdout (apt's output), and fails on install if KIT/apt-fail
# exists.
kit_path "$KIT/apt" bash env dirname sed tr id dpkg-query
cat >"$KIT/apt/apt-get" <<EOF
#!/bin/sh
echo "\$DEBIAN_FRONTEND \$*" >>"$KIT/apt.log"
echo "apt says: \$1"
[ "\$1" = install ] && [ -e "$KIT/apt-fail" ] && exit 100
exit 0
EOF
chmod +x "$KIT/apt/apt-get"
: >"$KIT/apt.log"
need -p "$KIT/apt" miss -m check
if [ "$T_RC" -eq 0 ] && [ ! -s "$T_OUT" ]; then
	pass "root with apt-get: installs, status 0, stdout empty (-m)"
else
	fail "root with apt-get: installs, status 0, stdout empty (-m)"
	diag_last
fi
expect_stderr -m "it says what it installs" \
    "make check: installing the missing Debian packages: depcheck-no-such-package"
expect_stderr -m "it shows apt-get update" "+ apt-get update"
expect_stderr -m "it shows apt-get install" \
    "+ apt-get install -y --no-install-recommends depcheck-no-such-package"
expect_stderr -m "apt's output is visible (on stderr)" "apt says: install"
is "$(cat "$KIT/apt.log")" "noninteractive update
noninteractive install -y --no-install-recommends depcheck-no-such-package" \
    "apt-get update, then install of the missing package only, noninteractive"
: >"$KIT/apt.log"
need -p "$KIT/apt" have check
quiet "root with apt-get, nothing missing: no apt-get at all"
is "$(cat "$KIT/apt.log")" "" "apt-get was not run"
: >"$KIT/apt-fail"
need -p "$KIT/apt" miss check
if [ "$T_RC" -eq 2 ] && [ "$(grep -c '^make check: ' "$T_ERR")" -eq 2 ] &&
    has_line "$T_ERR" "make check: 'apt-get install -y --no-install-recommends depcheck-no-such-package' failed (exit 100); see apt's output above"; then
	pass "apt-get install failing: status 2, one line saying so"
else
	fail "apt-get install failing: status 2, one line saying so"
	diag_last
fi

done_testing
