--[[
  Creates or updates an operator's presence, limit and groups; his load (held dialogs) is untouched,
  so lowering a limit never drops dialogs, it only blocks new ones.

  KEYS[1] opStatus HASH
  KEYS[2] opLimit HASH
  KEYS[3] opOnlineSince HASH
  KEYS[4] opGroups HASH (JSON)
  KEYS[5] groupOperators lex ZSET `groupId|operatorId`

  ARGV[1] operatorId
  ARGV[2] status ('online' | 'away' | 'offline')
  ARGV[3] limit
  ARGV[4] groups JSON
  ARGV[5] now
  ARGV[6..] group ids

  Returns 1
]]
local operatorId = ARGV[1]
local previousStatus = redis.call('HGET', KEYS[1], operatorId)
local previousGroups = redis.call('HGET', KEYS[4], operatorId)
if previousGroups then
  for _, g in ipairs(cjson.decode(previousGroups)) do
    redis.call('ZREM', KEYS[5], g.groupId .. '|' .. operatorId)
  end
end
for i = 6, #ARGV do
  redis.call('ZADD', KEYS[5], 0, ARGV[i] .. '|' .. operatorId)
end
redis.call('HSET', KEYS[1], operatorId, ARGV[2])
redis.call('HSET', KEYS[2], operatorId, ARGV[3])
redis.call('HSET', KEYS[4], operatorId, ARGV[4])
if ARGV[2] ~= 'online' then
  redis.call('HDEL', KEYS[3], operatorId)
elseif previousStatus ~= 'online' then
  redis.call('HSET', KEYS[3], operatorId, ARGV[5])
end
return 1
