--[[
  One atomic step: takes the head of the group's queue and assigns it to the first ranked operator who
  is online, in the group and below his limit. Only the ranked list is looped, never the queue.

  KEYS[1]  queue ZSET of ARGV[1]
  KEYS[2]  queued HASH
  KEYS[3]  queuedGroups SET
  KEYS[4]  opStatus HASH
  KEYS[5]  opLimit HASH
  KEYS[6]  groupOperators lex ZSET
  KEYS[7]  operatorDialogs lex ZSET
  KEYS[8]  held HASH
  KEYS[9]  opLastAssigned HASH
  KEYS[10] declined lex ZSET
  KEYS[11] opLoad HASH

  ARGV[1]  groupId
  ARGV[2]  now
  ARGV[3]  ranked operator ids, best first, joined by '|'

  Returns {0}                                   queue empty
          {1, dialogId, operatorId, enqueuedAt} assigned
          {2, dialogId, score, enqueuedAt}      no ranked operator can take the head; it stays queued
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local dialogId, score, enqueuedAt = queueHead(KEYS[1], KEYS[2], ARGV[2])
if not dialogId then return {0} end
local operatorId = firstAbleOperator(KEYS[4], KEYS[5], KEYS[6], KEYS[11], ARGV[1], ARGV[3])
if not operatorId then return {2, dialogId, score, enqueuedAt} end
removeFromQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], dialogId)
clearDeclined(KEYS[10], dialogId)
holdDialog(KEYS[8], KEYS[7], KEYS[11], dialogId, operatorId, ARGV[1], enqueuedAt, '0', '0', score)
redis.call('HSET', KEYS[9], operatorId, ARGV[2])
return {1, dialogId, operatorId, enqueuedAt}
