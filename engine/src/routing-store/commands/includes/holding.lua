-- Holding: the held-record HASH and the operator's lex ZSET (whose count is his load) move together.
local function holdDialog(heldKey, opDialogsKey, dialogId, operatorId, groupId, enqueuedAt, offered, expiresAt, score)
  redis.call('HSET', heldKey, dialogId,
    operatorId .. '|' .. groupId .. '|' .. enqueuedAt .. '|' .. offered .. '|' .. expiresAt .. '|' .. score)
  redis.call('ZADD', opDialogsKey, 0, operatorId .. '|' .. dialogId)
end

local function unholdDialog(heldKey, opDialogsKey, offersKey, dialogId, operatorId)
  redis.call('HDEL', heldKey, dialogId)
  redis.call('ZREM', opDialogsKey, operatorId .. '|' .. dialogId)
  redis.call('ZREM', offersKey, dialogId)
end

-- 1 when the operator may take one more dialog of the group; -10 offline/away/unknown, -13 not in
-- the group, -11 at or over his limit. Load counts assigned dialogs and pending offers alike.
-- skipPresence (the reconciler's repair): an away or offline operator passes, an unknown one never.
local function checkOperator(statusKey, limitKey, groupOpsKey, opDialogsKey, operatorId, groupId, checkGroup, skipPresence)
  local status = redis.call('HGET', statusKey, operatorId)
  if not status or (status ~= 'online' and not skipPresence) then return -10 end
  if checkGroup and not redis.call('ZSCORE', groupOpsKey, groupId .. '|' .. operatorId) then return -13 end
  local limit = tonumber(redis.call('HGET', limitKey, operatorId) or '0')
  local load = redis.call('ZLEXCOUNT', opDialogsKey, '[' .. operatorId .. '|', '(' .. operatorId .. '}')
  if load >= limit then return -11 end
  return 1
end

-- The first of the ranked operators (ids joined by '|', best first: one argument instead of one per
-- operator) who may take one more dialog of the group; with a declined key, operators who declined this
-- dialog's current attempt are skipped. nil when none can.
local function firstAbleOperator(statusKey, limitKey, groupOpsKey, opDialogsKey, groupId, rankedIds, declinedKey, dialogId)
  for operatorId in string.gmatch(rankedIds, '[^|]+') do
    if not (declinedKey and redis.call('ZSCORE', declinedKey, dialogId .. '|' .. operatorId))
      and checkOperator(statusKey, limitKey, groupOpsKey, opDialogsKey, operatorId, groupId, true) == 1 then
      return operatorId
    end
  end
  return nil
end
