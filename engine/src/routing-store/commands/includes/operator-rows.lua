-- Reading operators: 7 fields per operator that exists, appended to `out`:
-- id, status, limit, lastAssignedAt or '', onlineSince or '', groups JSON, load (held dialogs and offers).
-- One HMGET per hash for all the ids (six commands, not six per operator): the load is a count the
-- holding scripts keep (includes/holding), never counted per operator here.
-- HMGET in chunks: unpack() of more than a few thousand values overflows Lua's stack.
local function hmgetAll(key, ids)
  local values = {}
  for first = 1, #ids, 1000 do
    local chunk = redis.call('HMGET', key, unpack(ids, first, math.min(first + 999, #ids)))
    for _, value in ipairs(chunk) do values[#values + 1] = value end
  end
  return values
end

local function operatorRows(statusKey, limitKey, lastKey, sinceKey, groupsKey, loadKey, ids, out)
  if #ids == 0 then return out end
  local statuses = hmgetAll(statusKey, ids)
  local limits = hmgetAll(limitKey, ids)
  local lasts = hmgetAll(lastKey, ids)
  local sinces = hmgetAll(sinceKey, ids)
  local groups = hmgetAll(groupsKey, ids)
  local loads = hmgetAll(loadKey, ids)
  for i, id in ipairs(ids) do
    local status = statuses[i]
    if status then
      out[#out + 1] = id
      out[#out + 1] = status
      out[#out + 1] = limits[i] or '0'
      out[#out + 1] = lasts[i] or ''
      out[#out + 1] = sinces[i] or ''
      out[#out + 1] = groups[i] or '[]'
      out[#out + 1] = loads[i] or '0'
    end
  end
  return out
end

-- The ids of a group's operators (members `groupId|operatorId` of the lex ZSET).
local function groupMembers(groupOpsKey, groupId)
  local cut = #groupId + 2
  local ids = redis.call('ZRANGEBYLEX', groupOpsKey, '[' .. groupId .. '|', '(' .. groupId .. '}')
  for i, member in ipairs(ids) do ids[i] = string.sub(member, cut) end
  return ids
end
