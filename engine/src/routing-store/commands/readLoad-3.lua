--[[
  An operator's status, limit and load, for his self update after a load change (a read: changes
  nothing). Three HGETs where readOperators reads six hashes.

  KEYS[1] opStatus HASH
  KEYS[2] opLimit HASH
  KEYS[3] opLoad HASH

  ARGV[1] operatorId

  Returns {status, limit, load} | {} when he is unknown
]]
--- @include "includes/operator-load"
return operatorLoad(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
