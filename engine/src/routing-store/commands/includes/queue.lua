--- @include "includes/split-fields"
-- Queue membership: the group's ZSET, the queued-record HASH and the non-empty-groups SET move together.
local function addToQueue(queueKey, queuedKey, groupsKey, groupId, dialogId, score, enqueuedAt)
  redis.call('ZADD', queueKey, score, dialogId)
  redis.call('HSET', queuedKey, dialogId, groupId .. '|' .. score .. '|' .. enqueuedAt)
  redis.call('SADD', groupsKey, groupId)
end

local function removeFromQueue(queueKey, queuedKey, groupsKey, groupId, dialogId)
  redis.call('ZREM', queueKey, dialogId)
  redis.call('HDEL', queuedKey, dialogId)
  if redis.call('ZCARD', queueKey) == 0 then redis.call('SREM', groupsKey, groupId) end
end

-- A new attempt starts when the dialog is assigned or leaves the queue: forget who declined it.
local function clearDeclined(declinedKey, dialogId)
  redis.call('ZREMRANGEBYLEX', declinedKey, '[' .. dialogId .. '|', '(' .. dialogId .. '}')
end

-- The head of a queue: dialogId, score and enqueuedAt (the fallback when its record is missing), or nil.
local function queueHead(queueKey, queuedKey, fallbackEnqueuedAt)
  local head = redis.call('ZRANGE', queueKey, 0, 0, 'WITHSCORES')
  if #head == 0 then return nil end
  local dialogId, score = head[1], head[2]
  return dialogId, score, splitFields(redis.call('HGET', queuedKey, dialogId) or '')[3] or fallbackEnqueuedAt
end
