-- Which build outputs depend on a file: a project is found from the file
-- (a compile_commands.json above it, or in a build directory beside one
-- of its parents; failing that, the depfiles under such a build
-- directory), its entries give each object and the depfile beside it,
-- and the depfiles say which objects name the file.  Files are read with
-- vim.loop's synchronous calls, each depfile again only when its size or
-- mtime changed; no process is started here (init.lua runs depcheck).

local uv = vim.loop
local depfile = require('depcheck.depfile')

local M = {}

-- --------------------------------------------------------------- paths

-- The path with "." and ".." and repeated slashes taken out, lexically.
function M.normalize(p)
	local abs = p:sub(1, 1) == '/'
	local parts = {}
	for w in p:gmatch('[^/]+') do
		if w == '..' then
			if #parts > 0 and parts[#parts] ~= '..' then
				parts[#parts] = nil
			elseif not abs then
				parts[#parts + 1] = w
			end
		elseif w ~= '.' then
			parts[#parts + 1] = w
		end
	end
	local s = table.concat(parts, '/')
	if abs then
		return '/' .. s
	end
	return s == '' and '.' or s
end

-- P taken relative to DIR (a normal path, unless P is absolute),
-- normalized.  Most paths in a depfile need no more than a '/'.
function M.join(dir, p)
	local simple = not (p:find('//', 1, true) or p:find('%./') or
	    p:find('/%.%.?$') or p == '.' or p == '..' or p:sub(-1) == '/')
	if p:sub(1, 1) == '/' then
		return simple and p or M.normalize(p)
	end
	if simple then
		return (dir == '/' and '' or dir) .. '/' .. p
	end
	return M.normalize(dir .. '/' .. p)
end

function M.dirname(p)
	local d = p:match('^(.*)/[^/]*$')
	if d == nil then
		return '.'
	end
	return d == '' and '/' or d
end

function M.basename(p)
	return p:match('([^/]*)$')
end

-- P relative to DIR when under it, else P.
function M.relative(dir, p)
	if dir == '/' then
		return p:sub(2)
	end
	if p:sub(1, #dir + 1) == dir .. '/' then
		return p:sub(#dir + 2)
	end
	return p
end

local function stat(p)
	return uv.fs_stat(p)
end

local function is_dir(p)
	local st = stat(p)
	return st ~= nil and st.type == 'directory'
end

local function is_file(p)
	local st = stat(p)
	return st ~= nil and st.type ~= 'directory'
end

-- The real path of a directory (symlinks resolved), else its normal form.
local realdirs = {}
local function realdir(d)
	local r = realdirs[d]
	if r == nil then
		r = uv.fs_realpath(d) or M.normalize(d)
		realdirs[d] = r
	end
	return r
end

local function read_file(p)
	local fd = uv.fs_open(p, 'r', 438)
	if fd == nil then
		return nil
	end
	local st = uv.fs_fstat(fd)
	local data = st and uv.fs_read(fd, st.size, 0)
	uv.fs_close(fd)
	return data
end

-- ------------------------------------------------- compile_commands.json

-- The words of a shell command line, as compile_commands.json's "command"
-- holds it (quotes and backslashes, no expansion).
function M.shell_split(cmd)
	local words, cur, i, inword = {}, {}, 1, false
	local q = nil
	while i <= #cmd do
		local c = cmd:sub(i, i)
		if q == "'" then
			if c == "'" then
				q = nil
			else
				cur[#cur + 1] = c
			end
		elseif q == '"' then
			if c == '"' then
				q = nil
			elseif c == '\\' and cmd:sub(i + 1, i + 1):match('[\\"$`]') then
				i = i + 1
				cur[#cur + 1] = cmd:sub(i, i)
			else
				cur[#cur + 1] = c
			end
		elseif c == "'" or c == '"' then
			q, inword = c, true
		elseif c == '\\' then
			i = i + 1
			cur[#cur + 1] = cmd:sub(i, i)
			inword = true
		elseif c:match('%s') then
			if inword then
				words[#words + 1] = table.concat(cur)
				cur, inword = {}, false
			end
		else
			cur[#cur + 1] = c
			inword = true
		end
		i = i + 1
	end
	if inword then
		words[#words + 1] = table.concat(cur)
	end
	return words
end

-- The object and the depfile a compile command names, relative to its
-- directory: -o (or "output"), -MF; with -MD or -MMD and no -MF, gcc's
-- choice (the object's suffix replaced by .d).  Either may be nil.
function M.command_outputs(args, output)
	local obj, mf, md = output, nil, false
	local i = 1
	while i <= #args do
		local a = args[i]
		if a == '-o' then
			obj = obj or args[i + 1]
			i = i + 1
		elseif a:sub(1, 2) == '-o' and #a > 2 then
			obj = obj or a:sub(3)
		elseif a == '-MF' then
			mf = args[i + 1]
			i = i + 1
		elseif a:sub(1, 3) == '-MF' then
			mf = a:sub(4)
		elseif a == '-MD' or a == '-MMD' or a == '-Wp,-MD' or
		    a == '-Wp,-MMD' then
			md = true
		elseif a:sub(1, 8) == '-Wp,-MD,' or a:sub(1, 9) == '-Wp,-MMD,' then
			mf = a:match('^-Wp,-M?MD,(.*)$')	-- kbuild's form
		end
		i = i + 1
	end
	local dep = mf
	if dep == nil and obj ~= nil and md then
		dep = obj:gsub('%.[^./]*$', '') .. '.d'
	end
	return obj, dep
end

-- The entries of compile_commands.json CC: { directory, file, object,
-- depfile } (absolute paths; object and depfile may be nil).
local function read_compile_commands(cc)
	local text = read_file(cc)
	if text == nil then
		return nil
	end
	local ok, list = pcall(vim.json.decode, text)
	if not ok or type(list) ~= 'table' then
		return nil
	end
	local entries = {}
	for _, e in ipairs(list) do
		if type(e) == 'table' and type(e.directory) == 'string' and
		    type(e.file) == 'string' then
			local dir = realdir(M.join(M.dirname(cc), e.directory))
			local args = e.arguments
			if type(args) ~= 'table' then
				args = M.shell_split(type(e.command) == 'string'
				    and e.command or '')
			end
			local output = type(e.output) == 'string' and e.output
			    or nil
			local obj, dep = M.command_outputs(args, output)
			local ent = {
				directory = dir,
				file = M.join(dir, e.file),
				object = obj and M.join(dir, obj),
			}
			if dep ~= nil then
				ent.depfile = M.join(dir, dep)
			elseif ent.object ~= nil then
				-- no -MD on the line: a .d beside the object
				-- all the same (a make rule may add it)
				local d1 = ent.object:gsub('%.[^./]*$', '') .. '.d'
				local d2 = ent.object .. '.d'
				ent.depfile = is_file(d1) and d1 or
				    (is_file(d2) and d2 or nil)
			end
			entries[#entries + 1] = ent
		end
	end
	return entries
end

-- ------------------------------------------------------------ discovery

local function find_depfiles(dir, limit)
	local found = {}
	local stack = { dir }
	local seen = 0
	while #stack > 0 and seen < limit do
		local d = table.remove(stack)
		local h = uv.fs_scandir(d)
		while h do
			local name, t = uv.fs_scandir_next(h)
			if name == nil then
				break
			end
			seen = seen + 1
			local p = d .. '/' .. name
			if t == 'directory' then
				if name ~= '.depcheck' and name ~= '.git' then
					stack[#stack + 1] = p
				end
			elseif name:match('%.d$') then
				found[#found + 1] = p
			end
		end
	end
	table.sort(found)
	return found
end

-- The project FILE belongs to, or nil: { dir, cc } or { dir, builddir }.
-- dir is the directory where it was found (the source tree's top).
function M.find(file, build_dirs)
	local dir = M.dirname(file)
	local fallback = nil
	while true do
		for _, sub in ipairs(build_dirs) do
			local b = sub == '.' and dir or dir .. '/' .. sub
			local cc = b .. '/compile_commands.json'
			if is_file(cc) then
				return { dir = dir, cc = cc }
			end
			if fallback == nil and sub ~= '.' and is_dir(b) then
				fallback = { dir = dir, builddir = b }
			end
		end
		if dir == '/' then
			break
		end
		dir = M.dirname(dir)
	end
	return fallback
end

-- The directory a depfile's paths are relative to, when no compile
-- command says: the build directory (ninja, cmake) if its first
-- prerequisite is there, else the tree's top (make run at the top).
local function guess_directory(rules, builddir, top)
	local first = rules[1] and rules[1].prereqs[1]
	if first == nil or first:sub(1, 1) == '/' then
		return builddir
	end
	if is_file(M.join(builddir, first)) then
		return builddir
	end
	if is_file(M.join(top, first)) then
		return top
	end
	return builddir
end

-- ------------------------------------------------------------ projects

local Project = {}
Project.__index = Project

local projects = {}

-- The project object for a M.find result, kept across calls.
function M.get(found)
	local key = found.cc or found.builddir
	local p = projects[key]
	if p == nil then
		p = setmetatable({
			dir = found.dir,
			cc = found.cc,
			builddir = found.builddir,
			cc_stamp = nil,
			entries = {},
			depfiles = {},	-- path -> { stamp, rules, sets }
			joined = {},	-- directory -> path -> joined
		}, Project)
		projects[key] = p
	end
	return p
end

local function stamp(st)
	if st == nil then
		return nil
	end
	return st.size .. ':' .. st.mtime.sec .. '.' .. st.mtime.nsec .. ':' ..
	    st.ino
end

-- M.join, remembered: the same headers come back in every depfile.
function Project:join(dir, p)
	local j = self.joined[dir]
	if j == nil then
		j = {}
		self.joined[dir] = j
	end
	local a = j[p]
	if a == nil then
		a = M.join(dir, p)
		j[p] = a
	end
	return a
end

-- Entry E's depfile read again if its size, mtime or inode changed, and
-- the set of the paths it names.
function Project:refresh_entry(e)
	local st = stamp(stat(e.depfile))
	local c = self.depfiles[e.depfile]
	if c == nil or c.stamp ~= st then
		c = { stamp = st, rules = {}, sets = {} }
		local text = st and read_file(e.depfile)
		if text then
			c.rules = depfile.parse(text) or {}
		end
		self.depfiles[e.depfile] = c
	end
	if e.directory == nil or e.guessed then
		e.directory = guess_directory(c.rules, self.builddir, self.dir)
		e.guessed = true
	end
	local set = c.sets[e.directory]
	if set == nil then
		set = {}
		for _, r in ipairs(c.rules) do
			for _, p in ipairs(r.prereqs) do
				set[self:join(e.directory, p)] = true
			end
		end
		c.sets[e.directory] = set
	end
	e.rules, e.set, e.has_depfile = c.rules, set, st ~= nil
end

-- Read again what changed: compile_commands.json (or the list of
-- depfiles), then each depfile (a stat, and a read when it changed), a
-- few milliseconds at a time so that the editor is never held up long;
-- then done().  A call while one runs waits for it.
function Project:refresh(limit, done)
	if self.waiters then
		self.waiters[#self.waiters + 1] = done
		return
	end
	self.waiters = { done }
	if self.cc then
		local st = stamp(stat(self.cc))
		if st ~= self.cc_stamp then
			self.entries = read_compile_commands(self.cc) or {}
			self.cc_stamp = st
		end
	else
		local old = {}
		for _, e in ipairs(self.entries) do
			old[e.depfile] = e
		end
		self.entries = {}
		for _, d in ipairs(find_depfiles(self.builddir, limit)) do
			self.entries[#self.entries + 1] = old[d] or
			    { depfile = d }
		end
	end
	local entries, i = self.entries, 1
	local function step()
		local t0 = uv.hrtime()
		while i <= #entries do
			if entries[i].depfile then
				self:refresh_entry(entries[i])
			end
			i = i + 1
			if uv.hrtime() - t0 > 10e6 and i <= #entries then
				-- The editor's turn: a timer, not vim.schedule(),
				-- whose callbacks run back to back with no
				-- input read in between.
				vim.defer_fn(step, 1)
				return
			end
		end
		local seen = {}
		for _, e in ipairs(entries) do
			if e.depfile then
				seen[e.depfile] = true
			end
		end
		for d in pairs(self.depfiles) do
			if not seen[d] then
				self.depfiles[d] = nil
			end
		end
		local w = self.waiters
		self.waiters = nil
		for _, f in ipairs(w) do
			f()
		end
	end
	step()
end

-- The entries whose outputs depend on FILE (absolute; REAL its real
-- path), each with the targets that name it: { {entry, targets =
-- {abs...}} }.  An entry that compiles FILE is one, depfile or not.
function Project:dependents(file, real)
	local out = {}
	for _, e in ipairs(self.entries) do
		local targets, seen = {}, {}
		if e.set and (e.set[file] or e.set[real]) then
			for _, r in ipairs(e.rules) do
				for _, p in ipairs(r.prereqs) do
					local a = self:join(e.directory, p)
					if a == file or a == real then
						for _, t in ipairs(r.targets) do
							t = self:join(e.directory, t)
							if not seen[t] then
								seen[t] = true
								targets[#targets + 1] = t
							end
						end
						break
					end
				end
			end
		end
		if #targets == 0 and e.object and (e.file == file or
		    e.file == real) then
			targets[1] = e.object
		end
		if #targets > 0 then
			out[#out + 1] = { entry = e, targets = targets }
		end
	end
	return out
end

return M
