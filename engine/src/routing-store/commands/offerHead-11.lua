--[[
  Like assignHead, but the head is only offered: held for the operator (counting toward his load)
  until he accepts or the offer expires. Operators who declined this dialog's current attempt are skipped.

  KEYS[1]  queue ZSET of ARGV[1]
  KEYS[2]  queued HASH
  KEYS[3]  queuedGroups SET
  KEYS[4]  opStatus HASH
  KEYS[5]  opLimit HASH
  KEYS[6]  groupOperators lex ZSET
  KEYS[7]  operatorDialogs lex ZSET
  KEYS[8]  held HASH
  KEYS[9]  offers ZSET dialogId → expiresAt
  KEYS[10] declined lex ZSET
  KEYS[11] opLoad HASH

  ARGV[1]  groupId
  ARGV[2]  now
  ARGV[3]  expiresAt
  ARGV[4]  ranked operator ids, best first, joined by '|'

  Returns {0}                                   queue empty
          {1, dialogId, operatorId, enqueuedAt} offered
          {2, dialogId, score, enqueuedAt}      no ranked operator can take the head; it stays queued
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local dialogId, score, enqueuedAt = queueHead(KEYS[1], KEYS[2], ARGV[2])
if not dialogId then return {0} end
local operatorId = firstAbleOperator(KEYS[4], KEYS[5], KEYS[6], KEYS[11], ARGV[1], ARGV[4], KEYS[10], dialogId)
if not operatorId then return {2, dialogId, score, enqueuedAt} end
removeFromQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], dialogId)
holdDialog(KEYS[8], KEYS[7], KEYS[11], dialogId, operatorId, ARGV[1], enqueuedAt, '1', ARGV[3], score)
redis.call('ZADD', KEYS[9], ARGV[3], dialogId)
return {1, dialogId, operatorId, enqueuedAt}
