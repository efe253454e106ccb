--[[
  Frees the operator's slot for a dialog he holds (assigned, or offered: the offer is withdrawn).

  KEYS[1] held HASH
  KEYS[2] operatorDialogs lex ZSET
  KEYS[3] offers ZSET
  KEYS[4] declined lex ZSET
  KEYS[5] opLoad HASH

  ARGV[1] dialogId
  ARGV[2] operatorId

  Returns 1 released | 0 that operator does not hold the dialog
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record or splitFields(record)[1] ~= ARGV[2] then return 0 end
unholdDialog(KEYS[1], KEYS[2], KEYS[5], KEYS[3], ARGV[1], ARGV[2])
clearDeclined(KEYS[4], ARGV[1])
return 1
