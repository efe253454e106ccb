--[[
  Gives a counted attempt back: it was no guess. Either its password was right (the pair starts
  afresh, and the address is remembered as this e-mail's: it skips the e-mail's delay from then on),
  or it never got a verdict (the database failed), and only its count is returned.

  KEYS[1] pair STRING, KEYS[2] address STRING, KEYS[3] e-mail HASH, KEYS[4] known STRING (see beginLogin)

  ARGV[1] 1 the password was right | 0 no verdict
  ARGV[2] how long the address stays known, ms

  Returns 1
]]
local function decrement(key)
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end

if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[2])
else
  decrement(KEYS[1])
end
decrement(KEYS[2])
if tonumber(redis.call('HGET', KEYS[3], 'n') or '0') > 0 then redis.call('HINCRBY', KEYS[3], 'n', -1) end
return 1
