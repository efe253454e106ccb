--- @include "includes/split-fields"
-- Where a dialog already is, as enqueue's reply; nil when it is neither queued nor held.
--   {1, position, enqueuedAt, score}   queued in this group
--   {3, groupId, enqueuedAt, score}    held by an operator
--   {-2, groupId}                       queued in another group
local function existingPlace(queueKey, queuedKey, heldKey, dialogId, groupId)
  local record = redis.call('HGET', queuedKey, dialogId)
  if record then
    local f = splitFields(record)
    if f[1] ~= groupId then return {-2, f[1]} end
    return {1, redis.call('ZRANK', queueKey, dialogId) + 1, f[3], f[2]}
  end
  local held = redis.call('HGET', heldKey, dialogId)
  if held then
    local h = splitFields(held)
    return {3, h[2], h[3], h[6]}
  end
  return nil
end

-- A new arrival's queue score: priority first (9 is served first), then arrival order.
local function arrivalScore(seqKey, priority)
  local seq = redis.call('INCR', seqKey)
  return string.format('%.0f', (9 - tonumber(priority)) * 4294967296 + seq)
end
