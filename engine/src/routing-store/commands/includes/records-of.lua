-- `ids` paired with their records in the HASH `hashKey`, as a flat list {id, record, ...}; an id
-- whose record is gone is left out.
local function recordsOf(ids, hashKey)
  local out = {}
  for _, id in ipairs(ids) do
    local record = redis.call('HGET', hashKey, id)
    if record then
      out[#out + 1] = id
      out[#out + 1] = record
    end
  end
  return out
end
