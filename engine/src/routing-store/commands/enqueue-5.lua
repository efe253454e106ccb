--[[
  Puts a dialog in its group's queue, priority first then FIFO. Idempotent: a dialog already queued
  or held keeps its place.

  KEYS[1] queue ZSET of ARGV[2]
  KEYS[2] queued HASH
  KEYS[3] queuedGroups SET
  KEYS[4] held HASH
  KEYS[5] seq counter

  ARGV[1] dialogId
  ARGV[2] groupId
  ARGV[3] priority 0..9
  ARGV[4] now

  Returns {1, position, enqueuedAt, score}   queued (now or before) in this group
          {3, groupId, enqueuedAt, score}    held by an operator (not queued)
          {-2, groupId}                       already queued in another group: read its position there
]]
--- @include "includes/arrival"
--- @include "includes/queue"
local place = existingPlace(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2])
if place then return place end
local score = arrivalScore(KEYS[5], ARGV[3])
addToQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[1], score, ARGV[4])
return {1, redis.call('ZRANK', KEYS[1], ARGV[1]) + 1, ARGV[4], score}
