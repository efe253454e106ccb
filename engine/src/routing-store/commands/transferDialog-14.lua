--[[
  Transfer in one step: the dialog leaves its source (an operator's assignment, or its queue) only
  when the target accepts it (a named operator online, below his limit, in the group unless told to
  ignore it; or the back of a group's queue). A refusal changes nothing.

  KEYS[1]  held HASH
  KEYS[2]  operatorDialogs lex ZSET
  KEYS[3]  offers ZSET
  KEYS[4]  declined lex ZSET
  KEYS[5]  queue ZSET of ARGV[3] (the source queue; a queue source only)
  KEYS[6]  queue ZSET of ARGV[5] (the target queue; a group target only)
  KEYS[7]  queued HASH
  KEYS[8]  queuedGroups SET
  KEYS[9]  seq counter
  KEYS[10] opStatus HASH
  KEYS[11] opLimit HASH
  KEYS[12] groupOperators lex ZSET
  KEYS[13] opLastAssigned HASH
  KEYS[14] opLoad HASH

  ARGV[1] dialogId
  ARGV[2] source operatorId, '' for the dialog's queue
  ARGV[3] group whose queue the caller expects the dialog in (a queue source)
  ARGV[4] target operatorId, '' for a group's queue
  ARGV[5] groupId: the assignment's group (operator target) or the target queue's group
  ARGV[6] '1' to skip the target operator's group membership check
  ARGV[7] priority 0..9 in the target queue (group target)
  ARGV[8] now
  ARGV[9] '1' to skip the target operator's presence check (a repair: away/offline pass, the limit still holds)

  Returns {1, enqueuedAt}                   assigned to the target operator
          {2, position, enqueuedAt, score}   queued in the target group
          {-14} not-held: the source operator does not hold it as an assignment
          {-15} not-queued: a queue source, but the dialog is not queued
          {-12} already-held: the target holds it, or (queue source) someone holds it
          {-10} target offline/away/unknown   {-11} target at his limit   {-13} target not in group
          {-3}  a queue source with a group target (not a transfer)
          {-2, groupId} queued in another group than ARGV[3]: retry with that queue
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
--- @include "includes/arrival"
local dialogId, fromOperator, toOperator, groupId = ARGV[1], ARGV[2], ARGV[4], ARGV[5]
local heldRecord = redis.call('HGET', KEYS[1], dialogId)
local enqueuedAt, score, queuedIn
if fromOperator ~= '' then
  if not heldRecord then return {-14} end
  local h = splitFields(heldRecord)
  if h[1] ~= fromOperator or h[4] == '1' then return {-14} end
  enqueuedAt, score = h[3], h[6]
else
  if toOperator == '' then return {-3} end
  if heldRecord then return {-12} end
  local record = redis.call('HGET', KEYS[7], dialogId)
  if not record then return {-15} end
  local q = splitFields(record)
  if q[1] ~= ARGV[3] then return {-2, q[1]} end
  enqueuedAt, score, queuedIn = q[3], q[2], q[1]
end

if toOperator ~= '' then
  if toOperator == fromOperator then return {-12} end
  local check = checkOperator(KEYS[10], KEYS[11], KEYS[12], KEYS[14], toOperator, groupId, ARGV[6] ~= '1', ARGV[9] == '1')
  if check ~= 1 then return {check} end
  if queuedIn then
    removeFromQueue(KEYS[5], KEYS[7], KEYS[8], queuedIn, dialogId)
  else
    unholdDialog(KEYS[1], KEYS[2], KEYS[14], KEYS[3], dialogId, fromOperator)
  end
  clearDeclined(KEYS[4], dialogId)
  holdDialog(KEYS[1], KEYS[2], KEYS[14], dialogId, toOperator, groupId, enqueuedAt, '0', '0', score)
  redis.call('HSET', KEYS[13], toOperator, ARGV[8])
  return {1, enqueuedAt}
end

unholdDialog(KEYS[1], KEYS[2], KEYS[14], KEYS[3], dialogId, fromOperator)
clearDeclined(KEYS[4], dialogId)
local newScore = arrivalScore(KEYS[9], ARGV[7])
addToQueue(KEYS[6], KEYS[7], KEYS[8], groupId, dialogId, newScore, ARGV[8])
return {2, redis.call('ZRANK', KEYS[6], dialogId) + 1, ARGV[8], newScore}
