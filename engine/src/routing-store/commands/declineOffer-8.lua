--[[
  Puts an offered dialog back in its queue at its original score (it keeps its place), frees the
  operator's slot, and remembers the decline so offerHead skips him for this dialog's attempt.

  KEYS[1] held HASH
  KEYS[2] operatorDialogs lex ZSET
  KEYS[3] offers ZSET
  KEYS[4] declined lex ZSET
  KEYS[5] queue ZSET of ARGV[3]
  KEYS[6] queued HASH
  KEYS[7] queuedGroups SET
  KEYS[8] opLoad HASH

  ARGV[1] dialogId
  ARGV[2] operatorId
  ARGV[3] groupId the caller read for the offer

  Returns {1} declined | {0} no such pending offer | {-2, groupId} the offer is for another group: retry
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return {0} end
local h = splitFields(record)
if h[1] ~= ARGV[2] or h[4] ~= '1' then return {0} end
if h[2] ~= ARGV[3] then return {-2, h[2]} end
unholdDialog(KEYS[1], KEYS[2], KEYS[8], KEYS[3], ARGV[1], ARGV[2])
addToQueue(KEYS[5], KEYS[6], KEYS[7], h[2], ARGV[1], h[6], h[3])
redis.call('ZADD', KEYS[4], 0, ARGV[1] .. '|' .. ARGV[2])
return {1}
