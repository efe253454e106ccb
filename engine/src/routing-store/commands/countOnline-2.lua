--[[
  How many of a group's operators are online (a read: changes nothing). Routing a new dialog needs
  only this number, not every operator's row.

  KEYS[1] groupOperators lex ZSET
  KEYS[2] opStatus HASH

  ARGV[1] groupId

  Returns the count
]]
--- @include "includes/operator-rows"
local online = 0
for _, status in ipairs(hmgetAll(KEYS[2], groupMembers(KEYS[1], ARGV[1]))) do
  if status == 'online' then online = online + 1 end
end
return online
