-- Reading operators: 7 fields per operator that exists, appended to `out`:
-- id, status, limit, lastAssignedAt or '', onlineSince or '', groups JSON, load (held dialogs and offers).
local function operatorRows(statusKey, limitKey, lastKey, sinceKey, groupsKey, opDialogsKey, ids, out)
  for _, id in ipairs(ids) do
    local status = redis.call('HGET', statusKey, id)
    if status then
      out[#out + 1] = id
      out[#out + 1] = status
      out[#out + 1] = redis.call('HGET', limitKey, id) or '0'
      out[#out + 1] = redis.call('HGET', lastKey, id) or ''
      out[#out + 1] = redis.call('HGET', sinceKey, id) or ''
      out[#out + 1] = redis.call('HGET', groupsKey, id) or '[]'
      out[#out + 1] = redis.call('ZLEXCOUNT', opDialogsKey, '[' .. id .. '|', '(' .. id .. '}')
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
