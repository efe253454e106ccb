--[[
  Cancels every timer of a dialog (a handful: loops over that dialog's index range only).

  KEYS[1] timers ZSET
  KEYS[2] timerIndex lex ZSET
  KEYS[3] claims ZSET
  KEYS[4] claimTokens HASH

  ARGV[1] dialogId

  Returns the number cancelled
]]
local members = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. ARGV[1] .. '|', '(' .. ARGV[1] .. '}')
for _, member in ipairs(members) do
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[3], member)
  redis.call('HDEL', KEYS[4], member)
  redis.call('ZREM', KEYS[2], member)
end
return #members
