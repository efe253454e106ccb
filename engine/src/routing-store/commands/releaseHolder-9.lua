--[[
  Frees the operator's slot for a dialog he holds, as release-5 does, and returns what the caller
  does next without reading again: the operator's load as the release left him (pushed to him) and
  those of his groups whose queue has someone waiting (the only ones an assignment run can serve: a
  dialog queued later triggers its own run, and sees this slot free).

  KEYS[1] held HASH
  KEYS[2] operatorDialogs lex ZSET
  KEYS[3] offers ZSET
  KEYS[4] declined lex ZSET
  KEYS[5] opStatus HASH
  KEYS[6] opLimit HASH
  KEYS[7] opLoad HASH
  KEYS[8] opGroups HASH
  KEYS[9] queuedGroups SET (groups with a non-empty queue)

  ARGV[1] dialogId
  ARGV[2] operatorId

  Returns {1, {status, limit, load} (empty when he is unknown), waiting group ids}
          {0} that operator does not hold the dialog
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
--- @include "includes/operator-load"
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record or splitFields(record)[1] ~= ARGV[2] then return {0} end
unholdDialog(KEYS[1], KEYS[2], KEYS[7], KEYS[3], ARGV[1], ARGV[2])
clearDeclined(KEYS[4], ARGV[1])
local row = operatorLoad(KEYS[5], KEYS[6], KEYS[7], ARGV[2])
local waiting = {}
if #row > 0 then
  for _, group in ipairs(cjson.decode(redis.call('HGET', KEYS[8], ARGV[2]) or '[]')) do
    if redis.call('SISMEMBER', KEYS[9], group.groupId) == 1 then waiting[#waiting + 1] = group.groupId end
  end
end
return {1, row, waiting}
