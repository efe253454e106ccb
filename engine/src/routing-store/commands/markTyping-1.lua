--[[
  Records that an operator showed typing in a dialog. The key expires on its own: a sign of work
  only matters for a short while (the unanswered grace), and a lost key only means "not typing".
  A later mark never goes back in time (two nodes racing).

  KEYS[1] typing STRING for `dialogId|operatorId` → epoch ms of the last typing

  ARGV[1] at (epoch ms)
  ARGV[2] ttl ms

  Returns 1 recorded | 0 an equal or later mark was already there
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
