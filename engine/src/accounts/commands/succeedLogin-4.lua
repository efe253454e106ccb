--[[
  A counted attempt had the right password: it was no guess, so it is given back, the pair starts
  afresh, and the address is remembered as this e-mail's (it skips the e-mail's delay from then on).

  KEYS[1] pair STRING, KEYS[2] address STRING, KEYS[3] e-mail HASH, KEYS[4] known STRING (see beginLogin)

  ARGV[1] how long the address stays known, ms

  Returns 1
]]
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
if tonumber(redis.call('HGET', KEYS[3], 'n') or '0') > 0 then redis.call('HINCRBY', KEYS[3], 'n', -1) end
redis.call('SET', KEYS[4], '1', 'PX', ARGV[1])
return 1
