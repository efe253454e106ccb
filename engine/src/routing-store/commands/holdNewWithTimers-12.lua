--[[
  A new dialog held for an operator BEFORE it is stored (the one-commit start): when it would be the
  head of its group's queue (nobody waits ahead of it: the fairness of enqueueAndAssign), it is held
  for the first ranked operator who is online, in the group and below his limit, WITHOUT a queue
  entry. Otherwise nothing changes (the caller falls back to the queue path). A dialog already queued
  or held is left as it is. The caller commits the dialog as assigned next, or releases the hold.

  In the same step (one round trip where a start took three): the timers the dialog has once held
  are scheduled (a new dialog has no timer or claim to void), and the holder's status, limit and load
  as the hold left them are answered (his self update, not read again).

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
  KEYS[11] timers ZSET member → dueAt
  KEYS[12] timerIndex lex ZSET

  ARGV[1]  dialogId
  ARGV[2]  groupId
  ARGV[3]  priority 0..9
  ARGV[4]  now
  ARGV[5]  ranked operator ids, best first, joined by '|'
  ARGV[6..] pairs: timer member `dialogId|key`, dueAt, scheduled only when held

  Returns {4, operatorId, enqueuedAt, score, status, limit, load}  held
          {0}                                                    not held (already placed, someone
                                                                 ahead, nobody able)
]]
--- @include "includes/arrival"
--- @include "includes/holding"
--- @include "includes/operator-load"
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
for i = 6, #ARGV, 2 do
  redis.call('ZADD', KEYS[11], ARGV[i + 1], ARGV[i])
  redis.call('ZADD', KEYS[12], 0, ARGV[i])
end
local holder = operatorLoad(KEYS[5], KEYS[6], KEYS[10], operatorId)
return {4, operatorId, ARGV[4], score, holder[1], holder[2], holder[3]}
