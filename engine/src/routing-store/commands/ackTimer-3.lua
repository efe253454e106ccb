--[[
  Removes a fired timer if the caller's claim is still the current one.

  KEYS[1] claims ZSET
  KEYS[2] claimTokens HASH
  KEYS[3] timerIndex lex ZSET

  ARGV[1] member `dialogId|key`
  ARGV[2] claim token

  Returns 1 acked | 0 claim lost (re-claimed after its lease, rescheduled or cancelled meanwhile)
]]
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record then return 0 end
local bar = string.find(record, '|', 1, true)
if string.sub(record, 1, bar - 1) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
