--[[
  Removes a dialog from its queue and ends its offer attempt.

  KEYS[1] queue ZSET of ARGV[2]
  KEYS[2] queued HASH
  KEYS[3] queuedGroups SET
  KEYS[4] declined lex ZSET

  ARGV[1] dialogId
  ARGV[2] groupId the caller read for it

  Returns {1} removed | {0} not queued | {-2, groupId} it is queued in another group: retry there
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record then return {0} end
local groupId = splitFields(record)[1]
if groupId ~= ARGV[2] then return {-2, groupId} end
removeFromQueue(KEYS[1], KEYS[2], KEYS[3], groupId, ARGV[1])
clearDeclined(KEYS[4], ARGV[1])
return {1}
