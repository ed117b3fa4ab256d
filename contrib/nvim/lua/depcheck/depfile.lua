-- Make-syntax depfiles (gcc and clang -MD -MMD -MP, ninja), read only to
-- find which targets name a file as a prerequisite: the verdict on them is
-- always `depcheck check --depfile` (init.lua).  The syntax is the one
-- client/depfile.c reads, so that both see the same targets: "\" newline
-- joins lines, "\ " and "\#" escape (2n+1 backslashes before a space or
-- '#' are n backslashes and the character), "$$" is '$', '#' begins a
-- comment, names after '|' are order-only (not kept), and a ':' ends the
-- targets only before a blank, a line end or another ':' (not "c:/").

local M = {}

local BS, NL, CR, SP, TAB, HASH, COLON, PIPE, DOLLAR =
    92, 10, 13, 32, 9, 35, 58, 124, 36

-- Is the ':' or '|' at i a separator (followed by a blank, a line end or
-- the end)?
local function sep_ends(s, i)
	local c = s:byte(i + 1)
	return c == nil or c == SP or c == TAB or c == NL or c == CR or
	    c == COLON
end

-- Length of the line end (\n or \r\n) at i, else 0.
local function eol_at(s, i)
	local c = s:byte(i)
	if c == NL then
		return 1
	end
	if c == CR and s:byte(i + 1) == NL then
		return 2
	end
	return 0
end

-- Does the byte C at i end a name?
local function name_ends(s, i, c)
	return c == nil or c == 0 or c == SP or c == TAB or c == NL or
	    c == HASH or (c == CR and eol_at(s, i) > 0) or
	    (c == COLON and sep_ends(s, i))
end

-- The name that starts at i: the name and the index after it.
local function scan_name(s, i)
	local out = {}
	while true do
		-- a run of ordinary bytes at once
		local j = s:find('[%z \t\n\r#:\\%$]', i)
		if j == nil then
			out[#out + 1] = s:sub(i)
			return table.concat(out), #s + 1
		end
		local c = s:byte(j)
		if #out == 0 and name_ends(s, j, c) then
			return s:sub(i, j - 1), j	-- the usual case
		end
		if j > i then
			out[#out + 1] = s:sub(i, j - 1)
			i = j
		end
		if name_ends(s, i, c) then
			return table.concat(out), i
		elseif c == BS then
			local k = 0
			while s:byte(i + k) == BS do
				k = k + 1
			end
			local e = i + k
			local n = s:byte(e)
			if n == SP or n == HASH then
				out[#out + 1] = string.rep('\\', math.floor(k / 2))
				if k % 2 == 0 then
					return table.concat(out), e
				end
				out[#out + 1] = string.char(n)
				i = e + 1
			elseif eol_at(s, e) > 0 then
				-- the last backslash joins the lines
				out[#out + 1] = string.rep('\\', k - 1)
				return table.concat(out), e - 1
			else
				out[#out + 1] = string.rep('\\', k)
				i = e
			end
		elseif c == DOLLAR and s:byte(i + 1) == DOLLAR then
			out[#out + 1] = '$'
			i = i + 2
		else
			out[#out + 1] = string.char(c)
			i = i + 1
		end
	end
end

-- The rules of S when no escape, comment, '$', '|', CR or NUL is in it
-- (what gcc writes for ordinary names), split on blanks at C speed; nil
-- for anything else (a bad rule included: parse() then says what).
local function parse_plain(s)
	local t = s:gsub('\\\n', ' ')
	if t:find('[%z\\%$#|\r\f\v]') or t:find('::', 1, true) then
		return nil
	end
	local rules = {}
	for line in t:gmatch('[^\n]+') do
		local r, colon = { targets = {}, prereqs = {} }, false
		for w in line:gmatch('[^ \t]+') do
			if colon then
				if w:sub(-1) == ':' then
					return nil
				end
				r.prereqs[#r.prereqs + 1] = w
			elseif w == ':' then
				colon = true
			elseif w:sub(-1) == ':' then
				r.targets[#r.targets + 1] = w:sub(1, -2)
				colon = true
			else
				r.targets[#r.targets + 1] = w
			end
		end
		if not colon and #r.targets > 0 then
			return nil
		end
		if colon and #r.targets == 0 then
			return nil
		end
		if #r.prereqs > 0 then
			rules[#rules + 1] = r
		end
	end
	return rules
end

-- parse(text): the rules of a depfile, { {targets = {...}, prereqs =
-- {...}}, ... }, those without prerequisites (-MP's phony targets) left
-- out; nil and "LINE: cause" when it is not a depfile.
function M.parse(s)
	local plain = parse_plain(s)
	if plain then
		return plain
	end
	return M.parse_full(s)
end

-- parse() for any depfile, a byte at a time.
function M.parse_full(s)
	local rules = {}
	local words, ntargets, colon, order_only = {}, 0, false, false
	local i, line = 1, 1

	local function rule_end()
		if #words == 0 and not colon then
			return true
		end
		if not colon then
			return false, "missing ':' after the targets"
		end
		if #words > ntargets then
			local r = { targets = {}, prereqs = {} }
			for k = 1, #words do
				local list = k <= ntargets and r.targets or
				    r.prereqs
				list[#list + 1] = words[k]
			end
			rules[#rules + 1] = r
		end
		words, ntargets, colon, order_only = {}, 0, false, false
		return true
	end

	while true do
		local c = s:byte(i)
		local n
		if c == nil then
			local ok, why = rule_end()
			if not ok then
				return nil, line .. ': ' .. why
			end
			return rules
		elseif c == 0 then
			return nil, line .. ': a NUL byte (not a depfile)'
		elseif c == SP or c == TAB then
			i = i + 1
		elseif c == BS and eol_at(s, i + 1) > 0 then
			i = i + 1 + eol_at(s, i + 1)
			line = line + 1
		elseif eol_at(s, i) > 0 then
			local ok, why = rule_end()
			if not ok then
				return nil, line .. ': ' .. why
			end
			i = i + eol_at(s, i)
			line = line + 1
		elseif c == CR or c == 12 or c == 11 then
			i = i + 1
		elseif c == HASH then
			n = s:find('\n', i, true)
			i = n or #s + 1
		elseif c == COLON and sep_ends(s, i) then
			if colon then
				return nil, line .. ": a second ':'"
			end
			if #words == 0 then
				return nil, line .. ": no target before ':'"
			end
			colon, ntargets = true, #words
			i = i + 1
		elseif c == PIPE and sep_ends(s, i) then
			order_only = true
			i = i + 1
		else
			local name
			name, n = scan_name(s, i)
			if name ~= '' and not order_only then
				words[#words + 1] = name
			end
			i = n > i and n or i + 1
		end
	end
end

return M
