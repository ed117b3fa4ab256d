#!/usr/bin/env bash
# Issue 13: the Neovim plugin (contrib/nvim), driven headless against a
# real daemon and a real project compiled by gcc -MMD -MP into build/,
# with a compile_commands.json beside the objects:
#  - loaded but not set up, it starts no job and shows nothing;
#  - set up, the sources and headers show "build: up to date";
#  - a header edited in its buffer and written: the header's buffer and
#    the buffer of a source that includes it say stale within a second,
#    a source that does not include it stays up to date;
#  - a header written by another program: the status follows from the
#    watch alone (no autocommand runs);
#  - :DepcheckStale lists exactly the stale objects, :DepcheckWhy and
#    :DepcheckLog show depcheck's lines; make: up to date again, and
#    :DepcheckStale lists nothing;
#  - no compile_commands.json: the depfiles under build/ are enough;
#  - the daemon stops: said once; it starts again: the watch comes back;
#  - make install puts the plugin in share/depcheck/nvim;
#  - no daemon (that installed copy): exactly one message naming the
#    root, no error, no trace, and nothing started.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v nvim >/dev/null 2>&1 ||
    skip_all "nvim is not installed (apt-get install neovim)"
command -v gcc >/dev/null 2>&1 || skip_all "gcc is not installed"
command -v make >/dev/null 2>&1 || skip_all "make is not installed"

PLUGIN=$REPO_DIR/contrib/nvim

# The project: three objects, two headers; main.c and foo.c include
# foo.h, main.c and bar.c bar.h.
mkdir -p src include build
printf 'int foo(void);\n' >include/foo.h
printf 'int bar(void);\n' >include/bar.h
printf 'int extra;\n' >src/extra.c
printf '#include "foo.h"\nint foo(void) { return 1; }\n' >src/foo.c
printf '#include "bar.h"\nint bar(void) { return 2; }\n' >src/bar.c
printf '#include "foo.h"\n#include "bar.h"\nint main(void) { return foo() + bar(); }\n' \
    >src/main.c
cat >Makefile <<'EOF'
build/app: build/foo.o build/bar.o build/main.o build/extra.o
	gcc -o $@ build/foo.o build/bar.o build/main.o build/extra.o
build/foo.o: src/foo.c
	gcc -MMD -MP -Iinclude -c src/foo.c -o build/foo.o
build/bar.o: src/bar.c
	gcc -MMD -MP -MF build/bar.d -Iinclude -c src/bar.c -o build/bar.o
# main.o is compiled in build/, as cmake or meson would: its depfile's
# paths are relative to build/ (make is told its headers by hand)
build/main.o: src/main.c include/foo.h include/bar.h
	cd build && gcc -MMD -MP -I../include -c ../src/main.c -o main.o
# extra.o has no depfile (no -MMD)
build/extra.o: src/extra.c
	gcc -c src/extra.c -o build/extra.o
-include build/foo.d build/bar.d
EOF
# The shapes of an entry: "arguments"; "command"; -MF named; no -MMD.
python3 - "$ROOT" >build/compile_commands.json <<'EOF_PY'
import json, sys
d = sys.argv[1]
print(json.dumps([
    {"directory": d, "file": "src/foo.c",
     "arguments": ["gcc", "-MMD", "-MP", "-Iinclude", "-c", "src/foo.c",
                   "-o", "build/foo.o"]},
    {"directory": d, "file": "src/extra.c",
     "command": "gcc -c src/extra.c -o build/extra.o"},
    {"directory": d, "file": "src/bar.c",
     "command": "gcc -MMD -MP -MF build/bar.d -Iinclude -c src/bar.c -o build/bar.o"},
    {"directory": d + "/build", "file": "../src/main.c",
     "command": "gcc -MMD -MP -I'../include' -c ../src/main.c -o main.o"},
], indent=1))
EOF_PY

start_daemon
mk_ok "make builds the project" || give_up "the project does not build"
ok "gcc -MMD -MP wrote the depfiles" test -s build/main.d -a -s build/bar.d

HOMEDIR=$SCRATCH/home
mkdir -p "$HOMEDIR"

# nvim_run NAME LUA: the Lua test script LUA (a file) run by a headless
# Neovim with the plugin on its runtimepath, in ROOT; every line it
# writes to $SCRATCH/NAME.tap ("ok<TAB>DESC" or "not ok<TAB>DESC<TAB>
# DETAIL") becomes a test; it must end with a "done" line.
nvim_run()
{
	local name=$1 lua=$2 res=$SCRATCH/$1.tap st desc detail

	: >"$res"
	_bin_env
	(cd "$ROOT" && timeout -k 5 60 env -i "${_ENV[@]}" \
	    HOME="$HOMEDIR" XDG_CONFIG_HOME="$HOMEDIR/config" \
	    XDG_DATA_HOME="$HOMEDIR/data" XDG_STATE_HOME="$HOMEDIR/state" \
	    XDG_CACHE_HOME="$HOMEDIR/cache" NVIM_LOG_FILE="$SCRATCH/nvim.log" \
	    T_ROOT="$ROOT" T_RESULTS="$res" TERM=dumb \
	    nvim --headless --clean -u NONE -i NONE \
	    --cmd "set rtp+=$PLUGIN" --cmd 'runtime plugin/depcheck.lua' \
	    -c "luafile $lua") </dev/null >"$SCRATCH/$name.out" 2>&1
	T_RC=$?
	while IFS=$'\t' read -r st desc detail; do
		case $st in
		ok)	pass "$name: $desc" ;;
		'not ok') fail "$name: $desc" "${detail//\\n/$'\n'}" ;;
		esac
	done <"$res"
	if ! grep -qx 'done' "$res" || [ "$T_RC" -ne 0 ]; then
		fail "$name: the script ran to its end (nvim exit $T_RC)"
		diag_file "nvim's output" "$SCRATCH/$name.out"
	else
		pass "$name: the script ran to its end"
	fi
}

# What both scripts start with: results, waits, checks.
cat >"$SCRATCH/lib.lua" <<'EOF_LUA'
ROOT = vim.env.T_ROOT
local res = io.open(vim.env.T_RESULTS, 'w')
function result(good, desc, detail)
	res:write((good and 'ok' or 'not ok') .. '\t' .. desc .. '\t' ..
	    tostring(detail or ''):gsub('\t', ' '):gsub('\n', '\\n') .. '\n')
	res:flush()
	return good
end
function is(got, want, desc)
	return result(got == want, desc, string.format('got:  %q\nwant: %q',
	    tostring(got), tostring(want)))
end
function like(got, pat, desc)
	return result(tostring(got):match(pat) ~= nil, desc,
	    string.format('got:  %q\nwant match: %s', tostring(got), pat))
end
-- Wait at most MS for FN (polled every 5 ms): its result and the ms taken.
function wait(ms, fn)
	local t0 = vim.loop.hrtime()
	local good = vim.wait(ms, fn, 5)
	return good, (vim.loop.hrtime() - t0) / 1e6
end
-- Every message nvim holds, and whether any says error or traceback.
function messages()
	return vim.api.nvim_exec('messages', true)
end
function no_error(desc)
	local m = messages()
	result(vim.v.errmsg == '' and not m:match('[Ee]rror') and
	    not m:match('traceback') and not m:match('E%d+:'), desc,
	    'v:errmsg: ' .. vim.v.errmsg .. '\nmessages:\n' .. m)
end
function job_count()
	local n = 0
	for _, c in ipairs(vim.api.nvim_list_chans()) do
		if c.stream == 'job' then
			n = n + 1
		end
	end
	return n
end
function jobs()
	local t = {}
	for _, c in ipairs(vim.api.nvim_list_chans()) do
		if c.stream == 'job' then
			t[#t + 1] = table.concat(c.argv or {}, ' ')
		end
	end
	return table.concat(t, '\n')
end
-- Run BODY; then the plugin's VimLeavePre must leave no job behind
-- (and Neovim then has no child to wait for as it exits).
function finish(body)
	local good, err = xpcall(body, debug.traceback)
	if not good then
		result(false, 'the script raised no error', err)
	else
		vim.cmd('doautocmd VimLeavePre')
		result(wait(3000, function() return job_count() == 0 end),
		    'VimLeavePre: the watch stopped, no job left', jobs())
		-- nor does a stopped watch start again once its job has
		-- gone (the scripts set backoff_max to 400 ms at most)
		result(not wait(600, function() return job_count() > 0 end),
		    'VimLeavePre: no watch starts again', jobs())
		res:write('done\n')
	end
	res:close()
	vim.cmd(good and 'qa!' or 'cquit 1')
end
EOF_LUA

# ---------------------------------------------------------- with a daemon
cat >"$SCRATCH/daemon.lua" <<'EOF_LUA'
dofile(vim.env.T_RESULTS:gsub('[^/]*$', '') .. 'lib.lua')
finish(function()
	local dc = require('depcheck')
	local notes = {}
	local notify = vim.notify
	vim.notify = function(msg, ...)
		notes[#notes + 1] = msg
		return notify(msg, ...)
	end

	vim.cmd('edit ' .. ROOT .. '/src/main.c')
	local main = vim.api.nvim_get_current_buf()
	vim.wait(200)
	is(job_count(), 0, 'not set up: no job started')
	is(dc.status(), '', 'not set up: no status')

	dc.setup({ backoff_min = 100, backoff_max = 400 })
	vim.cmd('split ' .. ROOT .. '/src/bar.c')
	local bar = vim.api.nvim_get_current_buf()
	vim.cmd('split ' .. ROOT .. '/include/foo.h')
	local foo_h = vim.api.nvim_get_current_buf()
	local good, ms = wait(5000, function()
		return dc.status(main) == 'build: up to date' and
		    dc.status(bar) == 'build: up to date' and
		    dc.status(foo_h) == 'build: up to date'
	end)
	result(good, string.format('set up: main.c, bar.c and foo.h are up ' ..
	    'to date (%.0f ms)', ms), dc.status(main) .. ' / ' .. dc.status(bar) .. ' / ' ..
	    dc.status(foo_h))
	result(wait(2000, function() return job_count() == 1 end),
	    'one watch job for the root', job_count() .. ' jobs')

	-- Edit the header in its buffer and write it.
	vim.api.nvim_buf_set_lines(foo_h, -1, -1, false, { 'int foo2(void);' })
	vim.cmd('write')
	good, ms = wait(1000, function()
		return dc.status(main):match('^build: stale') and
		    dc.status(foo_h):match('^build: stale')
	end)
	result(good, string.format('foo.h written: main.c and foo.h stale ' ..
	    'within a second (%.0f ms)', ms), dc.status(main) .. ' / ' ..
	    dc.status(foo_h))
	is(dc.status(main), 'build: stale (foo.h written after main.o)',
	    'main.c: the header, the object')
	is(dc.status(foo_h), 'build: stale (foo.h written after foo.o, 2 targets)',
	    'foo.h: both objects that include it')
	vim.wait(300)
	is(dc.status(bar), 'build: up to date',
	    'bar.c, which does not include foo.h, stays up to date')
	is(vim.b[main].depcheck_status, dc.status(main),
	    'b:depcheck_status says the same')

	vim.cmd('DepcheckStale')
	result(wait(3000, function()
		return vim.fn.getqflist({ title = 0 }).title:match('depcheck')
	end), ':DepcheckStale filled the quickfix list')
	local got = {}
	for _, q in ipairs(vim.fn.getqflist()) do
		got[#got + 1] = q.text
	end
	is(table.concat(got, '\n'),
	    'build/foo.o is stale: include/foo.h written after it\n' ..
	    'build/main.o is stale: include/foo.h written after it',
	    ':DepcheckStale: exactly foo.o and main.o')
	local qf = vim.fn.getqflist()
	is(qf[1] and vim.fn.bufname(qf[1].bufnr), 'src/foo.c',
	    ':DepcheckStale: an entry opens the source')

	vim.api.nvim_set_current_buf(main)
	vim.cmd('DepcheckWhy')
	result(wait(3000, function()
		return vim.fn.bufname():match('depcheck://why') ~= nil
	end), ':DepcheckWhy opened its buffer')
	local why = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false),
	    '\n')
	like(why, 'depcheck: main%.o is stale: %.%./include/foo%.h written ' ..
	    'after it %(seq %d+ > %d+%)', ':DepcheckWhy: the --why line')
	vim.cmd('close')

	vim.api.nvim_set_current_buf(foo_h)
	vim.cmd('DepcheckLog')
	result(wait(3000, function()
		return vim.fn.bufname():match('depcheck://log') ~= nil
	end), ':DepcheckLog opened its buffer')
	local log = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false),
	    '\n')
	like(log, '\n%d+ [-0-9T:.]+Z %a+ include/foo%.h\n',
	    ':DepcheckLog: the history of foo.h')
	like(log, 'history from seq', ':DepcheckLog: where the history begins')
	vim.cmd('close')

	-- Another program writes bar.h: only the watch can tell.
	vim.fn.system({ 'sh', '-c', 'echo "int bar2(void);" >>' .. ROOT ..
	    '/include/bar.h' })
	good, ms = wait(1000, function()
		return dc.status(bar):match('^build: stale') ~= nil
	end)
	result(good, string.format('bar.h written outside: bar.c stale ' ..
	    'within a second (%.0f ms)', ms), dc.status(bar))
	is(dc.status(bar), 'build: stale (bar.h written after bar.o)',
	    'bar.c: the header, the object')

	-- A source with no depfile: checked against its object alone.
	vim.cmd('split ' .. ROOT .. '/src/extra.c')
	local extra = vim.api.nvim_get_current_buf()
	good = wait(3000, function()
		return dc.status(extra) == 'build: up to date'
	end)
	result(good, 'extra.c (no depfile): up to date', dc.status(extra))
	vim.fn.system({ 'sh', '-c', 'echo "int extra2;" >>' .. ROOT ..
	    '/src/extra.c' })
	good, ms = wait(1000, function()
		return dc.status(extra):match('^build: stale') ~= nil
	end)
	result(good, string.format('extra.c written outside: stale (%.0f ms)',
	    ms), dc.status(extra))
	is(dc.status(extra), 'build: stale (extra.c written after extra.o)',
	    'extra.c: the source, the object')
	vim.cmd('close')

	-- Rebuild.
	local out = vim.fn.system({ 'make', '-C', ROOT })
	result(vim.v.shell_error == 0, 'make rebuilds', out)
	good, ms = wait(2000, function()
		return dc.status(main) == 'build: up to date' and
		    dc.status(bar) == 'build: up to date' and
		    dc.status(foo_h) == 'build: up to date'
	end)
	result(good, string.format('rebuilt: every buffer up to date ' ..
	    '(%.0f ms)', ms), dc.status(main) .. ' / ' .. dc.status(bar) ..
	    ' / ' .. dc.status(foo_h))
	vim.fn.setqflist({}, ' ', { title = 'none', items = {} })
	vim.cmd('DepcheckStale')
	wait(3000, function()
		return vim.fn.getqflist({ title = 0 }).title:match('depcheck')
	end)
	is(#vim.fn.getqflist(), 0, ':DepcheckStale after the build: nothing')

	local function said()
		local n = 0
		for _, m in ipairs(notes) do
			if m:match('no daemon') then
				n = n + 1
			end
		end
		return n
	end
	is(said(), 0, 'no "no daemon" message while the daemon runs')

	-- No compile_commands.json: the depfiles under build/.
	local cc = ROOT .. '/build/compile_commands.json'
	os.rename(cc, cc .. '.off')
	vim.fn.system({ 'sh', '-c', 'echo "/* 2 */" >>' .. ROOT ..
	    '/include/foo.h' })
	good, ms = wait(1000, function()
		return dc.status(main):match('^build: stale') ~= nil
	end)
	result(good, string.format('no compile_commands.json: depfiles ' ..
	    'found under build/, foo.h written, main.c stale (%.0f ms)', ms),
	    dc.status(main))
	is(dc.status(main), 'build: stale (foo.h written after main.o)',
	    'no compile_commands.json: the header, the object')
	is(dc.status(bar), 'build: up to date',
	    'no compile_commands.json: bar.c up to date')
	os.rename(cc .. '.off', cc)
	vim.fn.system({ 'make', '-C', ROOT })

	-- The daemon stops: said once; it starts again: the watch is back.
	vim.fn.system({ 'depcheck', 'stop', ROOT })
	good, ms = wait(3000, function()
		return dc.status(main) == 'build: no daemon'
	end)
	result(good, string.format('the daemon stopped: "no daemon" (%.0f ms)',
	    ms), dc.status(main))
	is(said(), 1, 'the daemon stopped: one message')
	vim.fn.system({ 'depcheck', 'start', ROOT })
	good, ms = wait(5000, function()
		return dc.status(main) == 'build: up to date' and
		    dc.status(bar) == 'build: up to date' and job_count() == 1
	end)
	result(good, string.format('the daemon started again: up to date, ' ..
	    'one watch (%.0f ms)', ms), dc.status(main) .. ' jobs ' ..
	    job_count())
	vim.fn.system({ 'sh', '-c', 'echo "/* 3 */" >>' .. ROOT ..
	    '/include/bar.h' })
	good, ms = wait(1000, function()
		return dc.status(bar):match('^build: stale') ~= nil
	end)
	result(good, string.format('the new watch follows writes (%.0f ms)',
	    ms), dc.status(bar))
	is(said(), 1, 'still one message')
	no_error('no error message, no traceback')
end)
EOF_LUA

nvim_run daemon "$SCRATCH/daemon.lua"

# ---------------------------------------------------------- no daemon
depcheck stop >/dev/null 2>&1
[ -z "$(daemon_pids)" ] || give_up "the daemon did not stop"

cat >"$SCRATCH/nodaemon.lua" <<'EOF_LUA'
dofile(vim.env.T_RESULTS:gsub('[^/]*$', '') .. 'lib.lua')
finish(function()
	local dc = require('depcheck')
	local notes = {}
	local notify = vim.notify
	vim.notify = function(msg, ...)
		notes[#notes + 1] = msg
		return notify(msg, ...)
	end
	-- a short backoff: the watch is tried again several times below
	dc.setup({ backoff_min = 100, backoff_max = 200 })
	vim.cmd('edit ' .. ROOT .. '/src/main.c')
	local main = vim.api.nvim_get_current_buf()
	vim.cmd('split ' .. ROOT .. '/include/foo.h')
	local foo_h = vim.api.nvim_get_current_buf()
	local good = wait(5000, function()
		return dc.status(main) == 'build: no daemon' and
		    dc.status(foo_h) == 'build: no daemon'
	end)
	result(good, 'the status says there is no daemon',
	    dc.status(main) .. ' / ' .. dc.status(foo_h))
	-- writes, focus and a command: each asks depcheck again
	vim.api.nvim_buf_set_lines(foo_h, -1, -1, false, { '/* x */' })
	vim.cmd('write')
	vim.cmd('doautocmd FocusGained')
	vim.cmd('DepcheckStale')
	vim.wait(1000)
	is(#notes, 1, 'exactly one message')
	is(notes[1], "depcheck: no daemon for '" .. ROOT ..
	    "' (run: depcheck start)", 'it names the root and what to run')
	local m = messages()
	local n = 0
	for _ in m:gmatch('no daemon') do
		n = n + 1
	end
	is(n, 1, ':messages holds it once')
	no_error('no error message, no traceback')
end)
EOF_LUA

# make install puts the plugin where the README says, all of it: the
# second run uses that copy (when DEPCHECK_BINDIR is the bin/ of an
# up-to-date build: nothing is compiled here).
O=${DEPCHECK_BINDIR%/bin}
if [ "$O/bin" = "$DEPCHECK_BINDIR" ] && env -i "PATH=$PATH" \
    make -C "$REPO_DIR" -q "O=$O" all >/dev/null 2>&1; then
	DEST=$(make_tmpdir)
	run_cmd env -i "PATH=$PATH" make -C "$REPO_DIR" "O=$O" \
	    "DESTDIR=$DEST" PREFIX=/usr/local install
	if [ "$T_RC" -eq 0 ] &&
	    diff -r "$PLUGIN" "$DEST/usr/local/share/depcheck/nvim" \
	    >"$SCRATCH/diff" 2>&1; then
		pass "make install: contrib/nvim in share/depcheck/nvim"
		PLUGIN=$DEST/usr/local/share/depcheck/nvim
	else
		fail "make install: contrib/nvim in share/depcheck/nvim"
		diag_last
		diag_file "diff -r" "$SCRATCH/diff"
	fi
else
	skip "DEPCHECK_BINDIR is not the bin/ of an up-to-date build"
fi

nvim_run nodaemon "$SCRATCH/nodaemon.lua"
is "$(daemon_pids)" "" "no daemon was started by the plugin"

done_testing
