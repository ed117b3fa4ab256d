-- depcheck's commands (contrib/nvim/README).  Loading the plugin starts
-- nothing: the status line component and its watches wait for
-- require'depcheck'.setup(); each command runs when called.
if vim.g.loaded_depcheck then
	return
end
vim.g.loaded_depcheck = 1

local cmd = vim.api.nvim_create_user_command

cmd('DepcheckWhy', function() require('depcheck').why() end, {
	desc = 'depcheck --why for the targets that depend on this file',
})
cmd('DepcheckStale', function() require('depcheck').stale() end, {
	desc = 'every stale target of the project in the quickfix list',
})
cmd('DepcheckLog', function(a)
	require('depcheck').log(a.count > 0 and a.count or nil)
end, {
	desc = 'the write history of this file (depcheck log -n N)',
	count = 0,
})
