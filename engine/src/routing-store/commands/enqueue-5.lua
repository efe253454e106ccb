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
--- @include "includes/split-fields"
--- @include "includes/queue"
local dialogId = ARGV[1]
local record = redis.call('HGET', KEYS[2], dialogId)
if record then
  local f = splitFields(record)
  if f[1] ~= ARGV[2] then return {-2, f[1]} end
  return {1, redis.call('ZRANK', KEYS[1], dialogId) + 1, f[3], f[2]}
end
local held = redis.call('HGET', KEYS[4], dialogId)
if held then
  local h = splitFields(held)
  return {3, h[2], h[3], h[6]}
end
local seq = redis.call('INCR', KEYS[5])
local score = string.format('%.0f', (9 - tonumber(ARGV[3])) * 4294967296 + seq)
addToQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[2], dialogId, score, ARGV[4])
return {1, redis.call('ZRANK', KEYS[1], dialogId) + 1, ARGV[4], score}
