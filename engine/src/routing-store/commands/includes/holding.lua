-- Holding: the held-record HASH, the operator's lex ZSET of dialogs and his load (a count in the load
-- HASH, so reading it is one HGET/HMGET, never a count per operator) move together.
local function holdDialog(heldKey, opDialogsKey, loadKey, dialogId, operatorId, groupId, enqueuedAt, offered, expiresAt, score)
  redis.call('HSET', heldKey, dialogId,
    operatorId .. '|' .. groupId .. '|' .. enqueuedAt .. '|' .. offered .. '|' .. expiresAt .. '|' .. score)
  if redis.call('ZADD', opDialogsKey, 0, operatorId .. '|' .. dialogId) == 1 then
    redis.call('HINCRBY', loadKey, operatorId, 1)
  end
end

local function unholdDialog(heldKey, opDialogsKey, loadKey, offersKey, dialogId, operatorId)
  redis.call('HDEL', heldKey, dialogId)
  if redis.call('ZREM', opDialogsKey, operatorId .. '|' .. dialogId) == 1 then
    if redis.call('HINCRBY', loadKey, operatorId, -1) <= 0 then redis.call('HDEL', loadKey, operatorId) end
  end
  redis.call('ZREM', offersKey, dialogId)
end

-- 1 when the operator may take one more dialog of the group; -10 offline/away/unknown, -13 not in
-- the group, -11 at or over his limit. Load counts assigned dialogs and pending offers alike.
-- skipPresence (the reconciler's repair): an away or offline operator passes, an unknown one never.
local function checkOperator(statusKey, limitKey, groupOpsKey, loadKey, operatorId, groupId, checkGroup, skipPresence)
  local status = redis.call('HGET', statusKey, operatorId)
  if not status or (status ~= 'online' and not skipPresence) then return -10 end
  if checkGroup and not redis.call('ZSCORE', groupOpsKey, groupId .. '|' .. operatorId) then return -13 end
  local limit = tonumber(redis.call('HGET', limitKey, operatorId) or '0')
  local load = tonumber(redis.call('HGET', loadKey, operatorId) or '0')
  if load >= limit then return -11 end
  return 1
end

-- The first of the ranked operators (ids joined by '|', best first: one argument instead of one per
-- operator) who may take one more dialog of the group; with a declined key, operators who declined this
-- dialog's current attempt are skipped. nil when none can.
local function firstAbleOperator(statusKey, limitKey, groupOpsKey, loadKey, groupId, rankedIds, declinedKey, dialogId)
  for operatorId in string.gmatch(rankedIds, '[^|]+') do
    if not (declinedKey and redis.call('ZSCORE', declinedKey, dialogId .. '|' .. operatorId))
      and checkOperator(statusKey, limitKey, groupOpsKey, loadKey, operatorId, groupId, true) == 1 then
      return operatorId
    end
  end
  return nil
end
