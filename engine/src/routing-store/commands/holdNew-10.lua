--[[
  A new dialog held for an operator BEFORE it is stored (the one-commit start): when it would be the
  head of its group's queue (nobody waits ahead of it: the fairness of enqueueAndAssign), it is held
  for the first ranked operator who is online, in the group and below his limit, WITHOUT a queue
  entry. Otherwise nothing changes (the caller falls back to the queue path). A dialog already queued
  or held is left as it is. The caller commits the dialog as assigned next, or releases the hold.

  KEYS[1]  queue ZSET of ARGV[2]
  KEYS[2]  queued HASH
  KEYS[3]  held HASH
  KEYS[4]  seq counter
  KEYS[5]  opStatus HASH
  KEYS[6]  opLimit HASH
  KEYS[7]  groupOperators lex ZSET
  KEYS[8]  operatorDialogs lex ZSET
  KEYS[9]  opLastAssigned HASH
  KEYS[10] opLoad HASH

  ARGV[1]  dialogId
  ARGV[2]  groupId
  ARGV[3]  priority 0..9
  ARGV[4]  now
  ARGV[5]  ranked operator ids, best first, joined by '|'

  Returns {4, operatorId, enqueuedAt, score}  held
          {0}                                  not held (already placed, someone ahead, nobody able)
]]
--- @include "includes/arrival"
--- @include "includes/holding"
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  return {0}
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #head > 0 then
  -- The score it would take (no sequence number is spent unless it is held).
  local wouldBe = (9 - tonumber(ARGV[3])) * 4294967296 + tonumber(redis.call('GET', KEYS[4]) or '0') + 1
  if wouldBe >= tonumber(head[2]) then return {0} end
end
local operatorId = firstAbleOperator(KEYS[5], KEYS[6], KEYS[7], KEYS[10], ARGV[2], ARGV[5])
if not operatorId then return {0} end
local score = arrivalScore(KEYS[4], ARGV[3])
holdDialog(KEYS[3], KEYS[8], KEYS[10], ARGV[1], operatorId, ARGV[2], ARGV[4], '0', '0', score)
redis.call('HSET', KEYS[9], operatorId, ARGV[4])
return {4, operatorId, ARGV[4], score}
