--[[
  Sets an operator's presence; `onlineSince` is set when he comes online and cleared when he leaves.

  KEYS[1] opStatus HASH
  KEYS[2] opOnlineSince HASH

  ARGV[1] operatorId
  ARGV[2] status
  ARGV[3] now

  Returns 1, or -1 when the operator is unknown
]]
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if not previous then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[2] ~= 'online' then
  redis.call('HDEL', KEYS[2], ARGV[1])
elseif previous ~= 'online' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return 1
