--[[
  The arrival path in one step: enqueue, and when the new dialog would be the head of its queue, give
  it at once to the first ranked operator who is online, in the group and below his limit (what
  assignHead would do next). Anything else (someone waits ahead, nobody ranked can take it, the dialog
  was already queued or held) ends exactly like enqueue. A dialog that is neither queued nor held has
  no declines on record (every way out of a queue or a hold clears them), so none are cleared here.

  KEYS[1]  queue ZSET of ARGV[2]
  KEYS[2]  queued HASH
  KEYS[3]  queuedGroups SET
  KEYS[4]  held HASH
  KEYS[5]  seq counter
  KEYS[6]  opStatus HASH
  KEYS[7]  opLimit HASH
  KEYS[8]  groupOperators lex ZSET
  KEYS[9]  operatorDialogs lex ZSET
  KEYS[10] opLastAssigned HASH
  KEYS[11] opLoad HASH

  ARGV[1]  dialogId
  ARGV[2]  groupId
  ARGV[3]  priority 0..9
  ARGV[4]  now
  ARGV[5]  ranked operator ids, best first, joined by '|'

  Returns {4, operatorId, enqueuedAt, score}  assigned without waiting
          otherwise enqueue's replies: {1, position, enqueuedAt, score} | {3, ...} | {-2, groupId}
]]
--- @include "includes/arrival"
--- @include "includes/queue"
--- @include "includes/holding"
local place = existingPlace(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2])
if place then return place end
local score = arrivalScore(KEYS[5], ARGV[3])
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #head == 0 or tonumber(score) < tonumber(head[2]) then
  local operatorId = firstAbleOperator(KEYS[6], KEYS[7], KEYS[8], KEYS[11], ARGV[2], ARGV[5])
  if operatorId then
    holdDialog(KEYS[4], KEYS[9], KEYS[11], ARGV[1], operatorId, ARGV[2], ARGV[4], '0', '0', score)
    redis.call('HSET', KEYS[10], operatorId, ARGV[4])
    return {4, operatorId, ARGV[4], score}
  end
end
addToQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[1], score, ARGV[4])
return {1, redis.call('ZRANK', KEYS[1], ARGV[1]) + 1, ARGV[4], score}
