--[[
  A group's whole queue and its operators, read at one instant in one round trip (a read: changes
  nothing). The queue-position pushes and the supervisors' dashboard read both on every queue move.

  KEYS[1..7] as readOperators-7: opStatus, opLimit, opLastAssigned, opOnlineSince, opGroups,
             groupOperators, operatorDialogs
  KEYS[8]    queue ZSET of ARGV[1]
  KEYS[9]    queued HASH

  ARGV[1] groupId

  Returns { { dialogId, `groupId|score|enqueuedAt`, ... in queue order }, { operator rows } }
]]
--- @include "includes/operator-rows"
local queue = {}
for _, dialogId in ipairs(redis.call('ZRANGE', KEYS[8], 0, -1)) do
  local record = redis.call('HGET', KEYS[9], dialogId)
  if record then
    queue[#queue + 1] = dialogId
    queue[#queue + 1] = record
  end
end
return { queue, operatorRows(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], groupMembers(KEYS[6], ARGV[1]), {}) }
