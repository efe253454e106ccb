--[[
  A group's whole queue and its operators, read at one instant in one round trip (a read: changes
  nothing). The queue-position pushes and the supervisors' dashboard read both on every queue move.

  KEYS[1..7] as readOperators-7: opStatus, opLimit, opLastAssigned, opOnlineSince, opGroups,
             groupOperators, opLoad
  KEYS[8]    queue ZSET of ARGV[1]
  KEYS[9]    queued HASH

  ARGV[1] groupId

  Returns { { dialogId, `groupId|score|enqueuedAt`, ... in queue order }, { operator rows } }
]]
--- @include "includes/operator-rows"
--- @include "includes/records-of"
local queue = recordsOf(redis.call('ZRANGE', KEYS[8], 0, -1), KEYS[9])
return { queue, operatorRows(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], groupMembers(KEYS[6], ARGV[1]), {}) }
