--[[
  Turns the operator's pending, unexpired offer into an assignment.

  KEYS[1] held HASH
  KEYS[2] offers ZSET
  KEYS[3] declined lex ZSET
  KEYS[4] opLastAssigned HASH

  ARGV[1] dialogId
  ARGV[2] operatorId
  ARGV[3] now

  Returns {1, groupId, enqueuedAt} accepted | {0} no such pending offer (expired, withdrawn, someone else's)
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return {0} end
local h = splitFields(record)
if h[1] ~= ARGV[2] or h[4] ~= '1' or tonumber(ARGV[3]) >= tonumber(h[5]) then return {0} end
redis.call('HSET', KEYS[1], ARGV[1], h[1] .. '|' .. h[2] .. '|' .. h[3] .. '|0|0|' .. h[6])
redis.call('ZREM', KEYS[2], ARGV[1])
clearDeclined(KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return {1, h[2], h[3]}
