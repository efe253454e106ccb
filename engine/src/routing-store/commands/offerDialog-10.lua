--[[
  Offers one queued dialog (the head or one behind it) to the first of the ranked operators who is
  online, in the group and below his limit: held for him (counting toward his load) until he accepts
  or the offer expires. Exclusions are the ranking's: the caller ranks without whoever still declines.

  KEYS[1] queue ZSET of ARGV[1]
  KEYS[2] queued HASH
  KEYS[3] queuedGroups SET
  KEYS[4] opStatus HASH
  KEYS[5] opLimit HASH
  KEYS[6] groupOperators lex ZSET
  KEYS[7] operatorDialogs lex ZSET
  KEYS[8] held HASH
  KEYS[9] offers ZSET dialogId → expiresAt
  KEYS[10] opLoad HASH

  ARGV[1] groupId
  ARGV[2] dialogId
  ARGV[3] expiresAt
  ARGV[4] ranked operator ids, best first, joined by '|'

  Returns {1, operatorId, enqueuedAt} offered
          {0}                         the dialog is not queued in this group (taken or moved meanwhile)
          {2}                         no ranked operator can take it; it stays queued
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local record = redis.call('HGET', KEYS[2], ARGV[2])
if not record then return {0} end
local q = splitFields(record)
if q[1] ~= ARGV[1] then return {0} end
local operatorId = firstAbleOperator(KEYS[4], KEYS[5], KEYS[6], KEYS[10], ARGV[1], ARGV[4], nil, ARGV[2])
if not operatorId then return {2} end
removeFromQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])
holdDialog(KEYS[8], KEYS[7], KEYS[10], ARGV[2], operatorId, ARGV[1], q[3], '1', ARGV[3], q[2])
redis.call('ZADD', KEYS[9], ARGV[3], ARGV[2])
return {1, operatorId, q[3]}
