--[[
  Direct assignment (transfer to a named operator, lead pick-up) with the same checks as assignHead.
  The dialog must not be held; when it is queued it leaves its queue (which may be another group's).

  KEYS[1]  held HASH
  KEYS[2]  queue ZSET of ARGV[7]
  KEYS[3]  queued HASH
  KEYS[4]  queuedGroups SET
  KEYS[5]  opStatus HASH
  KEYS[6]  opLimit HASH
  KEYS[7]  groupOperators lex ZSET
  KEYS[8]  operatorDialogs lex ZSET
  KEYS[9]  opLastAssigned HASH
  KEYS[10] declined lex ZSET
  KEYS[11] opLoad HASH

  ARGV[1] dialogId
  ARGV[2] groupId to assign it in
  ARGV[3] operatorId
  ARGV[4] now
  ARGV[5] enqueuedAt to record when the dialog is not queued
  ARGV[6] '1' to skip the group membership check
  ARGV[7] group whose queue the caller expects the dialog in (ignored when it is not queued)
  ARGV[8] '1' to skip the presence check (a repair: away/offline pass, the limit still holds)

  Returns {1, enqueuedAt} assigned
          {-12} already held   {-10} operator offline/away/unknown
          {-13} not in group   {-11} operator at his limit
          {-2, groupId} queued in another group than ARGV[7]: retry with that queue
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local dialogId = ARGV[1]
if redis.call('HEXISTS', KEYS[1], dialogId) == 1 then return {-12} end
local record = redis.call('HGET', KEYS[3], dialogId)
local q = record and splitFields(record) or nil
if q and q[1] ~= ARGV[7] then return {-2, q[1]} end
local check = checkOperator(KEYS[5], KEYS[6], KEYS[7], KEYS[11], ARGV[3], ARGV[2], ARGV[6] ~= '1', ARGV[8] == '1')
if check ~= 1 then return {check} end
local enqueuedAt, score = ARGV[5], '0'
if q then
  enqueuedAt, score = q[3], q[2]
  removeFromQueue(KEYS[2], KEYS[3], KEYS[4], q[1], dialogId)
end
clearDeclined(KEYS[10], dialogId)
holdDialog(KEYS[1], KEYS[8], KEYS[11], dialogId, ARGV[3], ARGV[2], enqueuedAt, '0', '0', score)
redis.call('HSET', KEYS[9], ARGV[3], ARGV[4])
return {1, enqueuedAt}
