-- depcheck for Neovim (0.7 and later): whether the build outputs that
-- depend on the file in a buffer are stale, by write order.  project.lua
-- finds those outputs (compile_commands.json, the depfiles beside the
-- objects); the verdict is `depcheck check --json --depfile FILE`, run in
-- the compile command's directory; `depcheck watch --json` (one job per
-- root) says when to ask again.  Everything runs as jobs: nothing here
-- waits for a process.  Nothing starts before setup(); the commands work
-- without it.  See contrib/nvim/README.

local project = require('depcheck.project')

local uv = vim.loop
local api = vim.api
local WARN = vim.log.levels.WARN
local INFO = vim.log.levels.INFO

local M = {}

M.config = {
	-- the client; a path for one that is not on PATH
	cmd = 'depcheck',
	-- where compile_commands.json (or, failing it, depfiles) is looked
	-- for, in each directory from the file's up to /
	build_dirs = { '.', 'build', 'builddir', 'out', '_build',
	    'cmake-build-debug', 'cmake-build-release' },
	-- ms from a write to the check (the writes of a burst go together)
	delay = 30,
	-- ms before a watch that ended is started again, doubling to max
	backoff_min = 500,
	backoff_max = 60000,
	-- depfiles per depcheck run, and runs at once
	chunk = 100,
	jobs = 4,
	-- at most this many directory entries are scanned for depfiles
	scan_limit = 200000,
}

local enabled = false
local bufs = {}		-- bufnr -> the buffer's state (attach)
local roots = {}	-- root -> its watch
local said = {}		-- messages given once
local scratch_bufs = {}	-- name -> bufnr

-- ------------------------------------------------------------ messages

local function say_once(key, msg, level)
	if said[key] then
		return
	end
	said[key] = true
	vim.notify(msg, level or WARN)
end

local function no_daemon(root)
	say_once('nodaemon:' .. root, string.format(
	    "depcheck: no daemon for '%s' (run: depcheck start)", root))
end

-- A "no daemon" line from the client, the root it names, else nil.
local function no_daemon_line(lines)
	for _, l in ipairs(lines) do
		local r = l:match("^depcheck: no daemon for '(.*)'")
		if r then
			return r
		end
	end
	return nil
end

local function strip(l)
	return (l:gsub('^depcheck: ', ''))
end

-- ---------------------------------------------------------------- jobs

-- A function that cuts a job's output chunks into whole lines and hands
-- each to ON_LINE.
local function line_reader(on_line)
	local partial = ''
	return function(_, data)
		if data == nil or #data == 0 then
			return
		end
		data[1] = partial .. data[1]
		partial = data[#data]
		for i = 1, #data - 1 do
			on_line(data[i])
		end
	end
end

local function start_job(argv, dir, opts)
	opts.cwd = dir
	opts.stdin = 'null'
	local ok, job = pcall(vim.fn.jobstart, argv, opts)
	if not ok or job <= 0 then
		if job == -1 then
			say_once('cmd', string.format("depcheck: cannot run '%s'" ..
			    " (install depcheck, or give its path: " ..
			    "require'depcheck'.setup{cmd = ...})",
			    M.config.cmd))
		end
		return nil
	end
	return job
end

local queue = {}
local running = 0

-- Run `depcheck ARGS` in DIR; later done(code, stdout lines, stderr
-- lines) (code -1 when it could not start).  At most config.jobs at once.
local function run(args, dir, done)
	if running >= M.config.jobs then
		queue[#queue + 1] = { args, dir, done }
		return
	end
	running = running + 1
	local out, err = {}, {}
	local argv = { M.config.cmd }
	vim.list_extend(argv, args)
	local function finish(code)
		running = running - 1
		local q = table.remove(queue, 1)
		if q then
			run(q[1], q[2], q[3])
		end
		done(code, out, err)
	end
	local job = start_job(argv, dir, {
		on_stdout = line_reader(function(l) out[#out + 1] = l end),
		on_stderr = line_reader(function(l) err[#err + 1] = l end),
		on_exit = function(_, code) finish(code) end,
	})
	if job == nil then
		vim.schedule(function() finish(-1) end)
	end
end

-- ------------------------------------------------------------ verdicts

-- Check the targets of ITEMS ({ entry, targets } as Project:dependents
-- gives): one `depcheck check --json --strict --depfile ...` per
-- directory (per config.chunk depfiles), `check OBJECT SOURCE` for a
-- built object without a depfile; an object never built is stale without
-- asking.  EXTRA: more options (--why).  done(v): v.results (the decoded
-- answer of each target that is not up to date, with .dir, its
-- directory, and .abs, its target's path), v.fresh (abs -> true: the
-- targets up to date), v.lines
-- (what the runs said on stderr, in order), v.runs ({dir, args, err}
-- each), v.no_daemon (a root), v.failed (a run that printed no verdict:
-- its stderr lines).
local function verdict(items, extra, done)
	local groups, order, runs = {}, {}, {}
	local v = { results = {}, fresh = {}, lines = {}, failed = {},
	    unbuilt = {} }

	for _, it in ipairs(items) do
		local e = it.entry
		if e.has_depfile then
			local g = groups[e.directory]
			if g == nil then
				g = { dir = e.directory, files = {}, seen = {} }
				groups[e.directory] = g
				order[#order + 1] = g
			end
			if not g.seen[e.depfile] then
				g.seen[e.depfile] = true
				g.files[#g.files + 1] = e.depfile
			end
		elseif e.object and uv.fs_stat(e.object) then
			local args = { 'check', '--json', '--strict' }
			vim.list_extend(args, extra)
			vim.list_extend(args, { '--', e.object, e.file })
			runs[#runs + 1] = { dir = e.directory, args = args }
		elseif e.object then
			v.results[#v.results + 1] = {
				target = project.relative(e.directory, e.object),
				abs = e.object, dir = e.directory, exit = 1,
				stale = true, target_exists = false, deps = {},
			}
			v.unbuilt[#v.unbuilt + 1] = string.format(
			    'depcheck: %s is stale: it does not exist',
			    project.relative(e.directory, e.object))
		end
	end
	for _, g in ipairs(order) do
		for i = 1, #g.files, M.config.chunk do
			local files = {}
			for j = i, math.min(i + M.config.chunk - 1, #g.files) do
				files[#files + 1] = g.files[j]
			end
			runs[#runs + 1] = { dir = g.dir, files = files }
		end
	end

	local left = #runs
	if left == 0 then
		v.lines = v.unbuilt
		vim.schedule(function() done(v) end)
		return
	end
	local start
	local function finish()
		left = left - 1
		if left > 0 then
			return
		end
		v.runs = {}
		vim.list_extend(v.lines, v.unbuilt)
		for _, x in ipairs(runs) do
			if not x.split then
				v.runs[#v.runs + 1] = x
				vim.list_extend(v.lines, x.err)
			end
		end
		done(v)
	end
	local function answered(r, code, out, err)
		local worst, fresh, results = 0, {}, {}
		for _, l in ipairs(out) do
			-- Most answers are "up to date", and of those only the
			-- target is needed: taken without decoding when the
			-- name has no escape ("exit" is the object's own key:
			-- a quote in a name is \").
			local t = l:match('^{"target":"([^"\\]*)","exit":0,')
			local ok, o = false, nil
			if t then
				fresh[#fresh + 1] = project.join(r.dir, t)
			else
				ok, o = pcall(vim.json.decode, l)
			end
			if ok and type(o) == 'table' and
			    type(o.target) == 'string' and
			    type(o.exit) == 'number' then
				o.dir = r.dir
				o.abs = project.join(r.dir, o.target)
				if o.exit == 0 then
					fresh[#fresh + 1] = o.abs
				else
					results[#results + 1] = o
				end
				worst = math.max(worst, o.exit)
			end
		end
		r.err = err
		local nd = no_daemon_line(err)
		if nd then
			v.no_daemon = nd
		elseif code ~= worst and r.files and #r.files > 1 then
			-- One depfile that cannot be read (make clean, say)
			-- or parsed leaves every target of the run without
			-- an answer: ask for each depfile alone.
			r.split = true
			for _, f in ipairs(r.files) do
				left = left + 1
				runs[#runs + 1] = { dir = r.dir, files = { f } }
				start(runs[#runs])
			end
		elseif code ~= worst then
			-- a status the answers do not explain (a bad
			-- depfile, a crash): none of it is trusted
			vim.list_extend(v.failed, #err > 0 and err or
			    { string.format('depcheck exited %d', code) })
		else
			for _, a in ipairs(fresh) do
				v.fresh[a] = true
			end
			vim.list_extend(v.results, results)
		end
		finish()
	end
	start = function(r)
		if r.args == nil then
			r.args = { 'check', '--json', '--strict' }
			vim.list_extend(r.args, extra)
			for _, f in ipairs(r.files) do
				vim.list_extend(r.args, { '--depfile', f })
			end
		end
		run(r.args, r.dir, function(code, out, err)
			answered(r, code, out, err)
		end)
	end
	for i = 1, #runs do
		start(runs[i])
	end
end

-- The dependencies of result O that are newer than its target (paths as
-- depcheck printed them).
local function newer_deps(o)
	local list = {}
	for _, d in ipairs(o.deps or {}) do
		if d.newer and d.exists ~= false then
			list[#list + 1] = d.path
		end
	end
	return list
end

-- The statusline text for FILE (REAL: its real path) from verdict V on
-- its targets WANT (abs -> true).
local function summary(file, real, want, v)
	local stale, errors = {}, {}
	for _, o in ipairs(v.results) do
		if want[o.abs] then
			if o.exit == 1 then
				stale[#stale + 1] = o
			elseif o.exit ~= 0 then
				errors[#errors + 1] = o
			end
		end
	end
	if #v.failed > 0 then
		return 'build: error (' .. strip(v.failed[1]) .. ')'
	end
	if #errors > 0 then
		-- a prerequisite gone: the client's line names it
		for _, l in ipairs(v.lines) do
			if l:match('does not exist') and not l:match(' is stale') then
				return 'build: error (' .. strip(l) .. ')'
			end
		end
		return 'build: error (' .. project.basename(errors[1].target) ..
		    ')'
	end
	if #stale == 0 then
		for t in pairs(want) do
			if not v.fresh[t] then
				-- no answer for it (its depfile changed since
				-- it was read): the .d's write checks again
				return 'build: ?'
			end
		end
		return 'build: up to date'
	end
	-- Name this file when it is what was written after a target; the
	-- first target by name (the runs end in any order).
	table.sort(stale, function(a, b) return a.abs < b.abs end)
	local pick, dep = stale[1], nil
	for _, o in ipairs(stale) do
		for _, d in ipairs(newer_deps(o)) do
			local a = project.join(o.dir, d)
			if a == file or a == real then
				pick, dep = o, d
				break
			end
		end
		if dep then
			break
		end
	end
	local why
	if pick.target_exists == false then
		why = project.basename(pick.target) .. ' missing'
	else
		dep = dep or newer_deps(pick)[1]
		why = string.format('%s written after %s',
		    project.basename(dep or '?'), project.basename(pick.target))
	end
	if #stale > 1 then
		why = string.format('%s, %d targets', why, #stale)
	end
	return 'build: stale (' .. why .. ')'
end

-- ------------------------------------------------------------- buffers

-- The root of the daemon a directory's checks go to, as the client finds
-- it: $DEPCHECK_ROOT, else the nearest directory at or above it holding
-- .depcheck/, else the directory itself.
local function find_root(dir)
	local env = vim.env.DEPCHECK_ROOT
	if env and env ~= '' then
		return project.normalize(vim.fn.fnamemodify(env, ':p'))
	end
	local d = dir
	while true do
		local st = uv.fs_stat(d .. '/.depcheck')
		if st and st.type == 'directory' then
			return d
		end
		if d == '/' then
			return dir
		end
		d = project.dirname(d)
	end
end

local function buf_file(buf)
	if not api.nvim_buf_is_valid(buf) or vim.bo[buf].buftype ~= '' then
		return nil
	end
	local name = api.nvim_buf_get_name(buf)
	if name == '' then
		return nil
	end
	return project.normalize(vim.fn.fnamemodify(name, ':p'))
end

local function set_status(buf, s, text)
	if s.status == text then
		return
	end
	s.status = text
	if api.nvim_buf_is_valid(buf) then
		vim.b[buf].depcheck_status = text
	end
	vim.cmd('redrawstatus!')
	api.nvim_exec_autocmds('User', { pattern = 'DepcheckStatus',
	    modeline = false })
end

local watch_start, watch_stop, root_has_buffers, schedule

-- The project of buffer state S now, and its root: found again each
-- time (a few stats), as a compile_commands.json may come or go.
local function locate(s)
	local found = project.find(s.file, M.config.build_dirs)
	if found == nil then
		s.proj = nil
		return nil
	end
	s.proj = project.get(found)
	local old = s.root
	s.root = find_root(s.proj.dir)
	if old and old ~= s.root and not root_has_buffers(old) then
		watch_stop(old)		-- a daemon started above it, say
	end
	return s.proj
end

-- Verdict V on ITEMS, the targets of buffer BUF (state S), arrived.
local function checked(buf, s, items, v)
	local want = {}
	for _, it in ipairs(items) do
		for _, t in ipairs(it.targets) do
			want[t] = true
		end
	end
	s.items, s.want = items, want
	if v.no_daemon then
		no_daemon(s.root)
		set_status(buf, s, 'build: no daemon')
	else
		set_status(buf, s, summary(s.file, s.real, want, v))
		local r = roots[s.root]
		if r and r.timer and not r.job then
			-- a daemon answers: the watch need not wait
			r.timer:stop()
			r.timer:close()
			r.timer = nil
			r.backoff = M.config.backoff_min
			watch_start(s.root)
		end
	end
	if s.again then
		s.again = false
		schedule(buf)
	end
end

-- Check buffer BUF's targets now (once at a time; a request while one
-- runs makes another follow it).
local function check(buf)
	local s = bufs[buf]
	if s == nil or not api.nvim_buf_is_valid(buf) then
		return
	end
	if s.running then
		s.again = true
		return
	end
	local proj = locate(s)
	if proj == nil then
		set_status(buf, s, '')
		return
	end
	watch_start(s.root)
	s.running = true
	proj:refresh(M.config.scan_limit, function()
		local items = proj:dependents(s.file, s.real)
		if #items == 0 then
			-- not a prerequisite of anything the build makes
			s.running, s.checked = false, true
			s.items, s.want = {}, {}
			set_status(buf, s, '')
			if s.again then
				s.again = false
				schedule(buf)
			end
			return
		end
		verdict(items, {}, function(v)
			s.running = false
			s.checked = true
			if bufs[buf] ~= s then
				return
			end
			checked(buf, s, items, v)
		end)
	end)
end

-- Check BUF soon: the writes that come within config.delay go together.
schedule = function(buf)
	local s = bufs[buf]
	if s == nil or s.pending then
		return
	end
	s.pending = true
	vim.defer_fn(function()
		s.pending = false
		check(buf)
	end, M.config.delay)
end

local function schedule_root(root)
	for b, s in pairs(bufs) do
		if root == nil or s.root == root then
			schedule(b)
		end
	end
end

-- ------------------------------------------------------------- watches

-- Does a write of ABS change buffer state S's verdict: is it the file,
-- one of its targets or a prerequisite of one?  (The depfiles' sets: the
-- --json answers are not kept.)
local function concerns(s, abs)
	if s.file == abs or (s.want and s.want[abs]) then
		return true
	end
	for _, it in ipairs(s.items or {}) do
		local e = it.entry
		if (e.set and e.set[abs]) or e.file == abs then
			return true
		end
	end
	return false
end

local function watch_line(r, line)
	local ok, o = pcall(vim.json.decode, line)
	if not ok or type(o) ~= 'table' then
		return
	end
	if o.live then
		r.live = true
		r.backoff = M.config.backoff_min
		-- what was written before the watch began is not in it
		schedule_root(r.root)
	elseif o.event then
		-- a start or a rescan: anything may have changed
		schedule_root(r.root)
	elseif type(o.path) == 'string' then
		local abs = project.join(r.root, o.path)
		if abs:match('%.d$') or
		    project.basename(abs) == 'compile_commands.json' then
			-- which objects depend on what may have changed
			schedule_root(r.root)
			return
		end
		for b, s in pairs(bufs) do
			if s.root == r.root and s.running then
				-- its check may have synced before this write,
				-- and knows its dependencies only when done
				s.again = true
			elseif s.root == r.root and concerns(s, abs) then
				schedule(b)
			end
		end
	end
end

root_has_buffers = function(root)
	for _, s in pairs(bufs) do
		if s.root == root and s.proj then
			return true
		end
	end
	return false
end

local function watch_ended(r, err)
	r.job, r.live = nil, false
	-- a watch stopped on purpose (VimLeavePre, its last buffer gone)
	-- is not started again when its job goes
	if roots[r.root] ~= r or not enabled or
	    not root_has_buffers(r.root) then
		return
	end
	local nd = no_daemon_line(err)
	if nd then
		no_daemon(r.root)
		for b, s in pairs(bufs) do
			if s.root == r.root and s.status ~= '' then
				set_status(b, s, 'build: no daemon')
			end
		end
	else
		-- the daemon went (its next start answers "no daemon"), or
		-- the watch fell behind: check again, and watch again
		local other = nil
		for _, l in ipairs(err) do
			if not l:match('lost the daemon') and
			    not l:match('fell behind') then
				other = other or l
			end
		end
		if other then
			say_once('watch:' .. r.root, other)
		end
		schedule_root(r.root)
	end
	r.timer = vim.defer_fn(function()
		r.timer = nil
		watch_start(r.root)
	end, r.backoff)
	r.backoff = math.min(r.backoff * 2, M.config.backoff_max)
end

-- Start the watch of ROOT unless it runs, waits to start again, or the
-- plugin is not enabled.
watch_start = function(root)
	if not enabled or root == nil then
		return
	end
	local r = roots[root]
	if r == nil then
		r = { root = root, backoff = M.config.backoff_min }
		roots[root] = r
	end
	if r.job or r.timer then
		return
	end
	local err = {}
	r.job = start_job({ M.config.cmd, 'watch', '--json' }, root, {
		on_stdout = line_reader(function(l) watch_line(r, l) end),
		on_stderr = line_reader(function(l) err[#err + 1] = l end),
		on_exit = function() watch_ended(r, err) end,
	})
end

watch_stop = function(root)
	local r = roots[root]
	if r == nil then
		return
	end
	roots[root] = nil
	if r.timer then
		r.timer:stop()
		r.timer:close()
	end
	if r.job then
		pcall(vim.fn.jobstop, r.job)
	end
end

-- Buffer BUF is shown: know its file, start its root's watch, check it.
local function attach(buf)
	local file = buf_file(buf)
	if file == nil then
		return
	end
	local s = bufs[buf]
	if s == nil or s.file ~= file then
		s = { file = file, real = uv.fs_realpath(file) or file,
		    status = '' }
		bufs[buf] = s
		if locate(s) then
			set_status(buf, s, 'build: ?')
		end
	end
	if s.proj == nil then
		return
	end
	-- a live watch keeps a checked buffer's status current
	local r = roots[s.root]
	if not s.checked or r == nil or not r.live then
		schedule(buf)
	end
	watch_start(s.root)
end

local function detach(buf)
	local s = bufs[buf]
	bufs[buf] = nil
	if s and s.root and not root_has_buffers(s.root) then
		watch_stop(s.root)
	end
end

-- ------------------------------------------------------------------ API

-- The statusline component: "build: stale (foo.h written after foo.o)",
-- "build: up to date", "build: ?" (not known yet), "build: no daemon",
-- "build: error (...)", or "" (not enabled, or not a file of a project's
-- build).  BUF: a buffer number (default: the current one).
function M.status(buf)
	if not enabled then
		return ''
	end
	if buf == nil or buf == 0 then
		buf = api.nvim_get_current_buf()
	end
	local s = bufs[buf]
	return s and s.status or ''
end

-- Enable the plugin: the status, its watches and its autocommands.
function M.setup(opts)
	M.config = vim.tbl_deep_extend('force', M.config, opts or {})
	if enabled then
		return
	end
	enabled = true
	local g = api.nvim_create_augroup('depcheck', { clear = true })
	api.nvim_create_autocmd({ 'BufEnter', 'BufWinEnter' }, {
		group = g,
		callback = function(a) attach(a.buf) end,
	})
	api.nvim_create_autocmd('BufWritePost', {
		group = g,
		callback = function(a)
			attach(a.buf)
			local s = bufs[a.buf]
			if s and s.root then
				schedule_root(s.root)
			end
		end,
	})
	api.nvim_create_autocmd('FocusGained', {
		group = g,
		callback = function() schedule_root(nil) end,
	})
	api.nvim_create_autocmd({ 'BufDelete', 'BufWipeout' }, {
		group = g,
		callback = function(a) detach(a.buf) end,
	})
	api.nvim_create_autocmd('VimLeavePre', {
		group = g,
		callback = function()
			for root in pairs(roots) do
				watch_stop(root)
			end
		end,
	})
	for _, w in ipairs(api.nvim_list_wins()) do
		attach(api.nvim_win_get_buf(w))
	end
end

-- The lines into scratch buffer NAME, shown in a window.
local function scratch(name, lines)
	local buf = scratch_bufs[name]
	if buf == nil or not api.nvim_buf_is_valid(buf) then
		buf = api.nvim_create_buf(false, true)
		api.nvim_buf_set_name(buf, name)
		vim.bo[buf].bufhidden = 'wipe'
		vim.bo[buf].filetype = 'depcheck'
		scratch_bufs[name] = buf
	end
	vim.bo[buf].modifiable = true
	api.nvim_buf_set_lines(buf, 0, -1, false, lines)
	vim.bo[buf].modifiable = false
	vim.bo[buf].modified = false
	local win = vim.fn.bufwinid(buf)
	if win == -1 then
		vim.cmd('botright split')
		api.nvim_win_set_buf(0, buf)
	else
		api.nvim_set_current_win(win)
	end
	return buf
end

-- A word as a shell would need it.
local function quote(w)
	if w:match('^[%w%%+,./:=@_-]+$') then
		return w
	end
	return vim.fn.shellescape(w)
end

-- The current buffer's file and project, then, once the project is read
-- again, go(file, project); or nothing after saying why not.
local function here(go)
	local file = buf_file(api.nvim_get_current_buf())
	local start = file or (vim.fn.getcwd() .. '/.')
	local found = project.find(start, M.config.build_dirs)
	if found == nil then
		vim.notify('depcheck: no compile_commands.json or build ' ..
		    'directory above ' .. project.dirname(start), WARN)
		return
	end
	local proj = project.get(found)
	proj:refresh(M.config.scan_limit, function() go(file, proj) end)
end

-- :DepcheckWhy: depcheck's --why lines for the targets that depend on
-- the current buffer's file, in a scratch buffer.
function M.why()
	here(function(file, proj)
		if file == nil then
			vim.notify('depcheck: the buffer has no file', WARN)
			return
		end
		local items = proj:dependents(file,
		    uv.fs_realpath(file) or file)
		if #items == 0 then
			vim.notify('depcheck: nothing in the build of ' ..
			    proj.dir .. ' depends on ' .. file, INFO)
			return
		end
		verdict(items, { '--why' }, function(v)
			if v.no_daemon then
				no_daemon(find_root(proj.dir))
			end
			local lines = { '# what depends on ' .. file }
			vim.list_extend(lines, v.unbuilt)
			for _, x in ipairs(v.runs or {}) do
				local argv = { 'depcheck' }
				for _, a in ipairs(x.args) do
					argv[#argv + 1] = quote(a)
				end
				lines[#lines + 1] = ''
				lines[#lines + 1] = '$ cd ' .. quote(x.dir) ..
				    ' && ' .. table.concat(argv, ' ')
				vim.list_extend(lines, x.err)
			end
			scratch('depcheck://why', lines)
		end)
	end)
end

-- :DepcheckLog: `depcheck log -n 50 FILE` in a scratch buffer.
function M.log(n)
	local file = buf_file(api.nvim_get_current_buf())
	if file == nil then
		vim.notify('depcheck: the buffer has no file', WARN)
		return
	end
	n = tostring(n or 50)
	run({ 'log', '-n', n, '--', file }, project.dirname(file),
	    function(code, out, err)
		local lines = { '# depcheck log -n ' .. n .. ' ' .. file, '' }
		vim.list_extend(lines, out)
		vim.list_extend(lines, err)
		if code == -1 then
			return
		end
		scratch('depcheck://log', lines)
	end)
end

-- :DepcheckStale for project PROJ, read.
local function stale_of(proj)
	local items = {}
	for _, e in ipairs(proj.entries) do
		items[#items + 1] = { entry = e }
	end
	verdict(items, {}, function(v)
		if v.no_daemon then
			no_daemon(find_root(proj.dir))
			return
		end
		local by_target = {}
		for _, e in ipairs(proj.entries) do
			if e.object then
				by_target[e.object] = e
			end
		end
		local qf, seen = {}, {}
		for _, o in ipairs(v.results) do
			if o.exit ~= 0 and not seen[o.abs] then
				seen[o.abs] = true
				local e = by_target[o.abs]
				-- paths from the project's top, whatever directory
				-- the compile command ran in
				local function rel(list)
					local t = {}
					for _, d in ipairs(list) do
						t[#t + 1] = project.relative(proj.dir,
						    project.join(o.dir, d))
					end
					return table.concat(t, ', ')
				end
				local newer, gone = newer_deps(o), {}
				for _, d in ipairs(o.deps or {}) do
					if d.exists == false then
						gone[#gone + 1] = d.path
					end
				end
				local text
				if o.target_exists == false then
					text = 'is stale: it does not exist'
				elseif o.exit == 1 then
					text = 'is stale: ' .. rel(newer) ..
					    ' written after it'
				elseif #gone > 0 then
					text = 'error: ' .. rel(gone) ..
					    ' does not exist'
				else
					text = 'error'
				end
				local fname = e and e.file or
				    (newer[1] and project.join(o.dir, newer[1])) or
				    o.abs
				qf[#qf + 1] = {
					filename = fname,
					lnum = 1,
					text = project.relative(proj.dir, o.abs) ..
					    ' ' .. text,
				}
			end
		end
		table.sort(qf, function(a, b) return a.text < b.text end)
		local nstale = #qf
		for _, l in ipairs(v.failed) do
			-- "depcheck: FILE:LINE: cause" of a bad depfile
			local f, n, why = l:match('^depcheck: (.-):(%d+): (.*)$')
			if f then
				qf[#qf + 1] = { filename = f, lnum = tonumber(n),
				    text = why, type = 'E' }
			else
				qf[#qf + 1] = { text = strip(l), type = 'E' }
			end
		end
		vim.fn.setqflist({}, ' ', {
			title = 'depcheck: stale targets of ' .. proj.dir,
			items = qf,
		})
		vim.notify(string.format('depcheck: %d stale target%s%s in %s',
		    nstale, nstale == 1 and '' or 's', #qf > nstale and
		    string.format(', %d error%s', #qf - nstale,
		    #qf - nstale == 1 and '' or 's') or '', proj.dir), INFO)
		if #qf > 0 then
			vim.cmd('botright cwindow')
		end
	end)
end

-- :DepcheckStale: every stale target of the project in the quickfix
-- list, each compile command's object checked through its depfile.
function M.stale()
	here(function(_, proj) stale_of(proj) end)
end

return M
