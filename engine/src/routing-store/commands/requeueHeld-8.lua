--[[
  Puts a dialog held (assigned or offered) by an operator who is gone back in its group's queue at
  the place it had (its held score: it keeps its priority and goes ahead of everyone who came after
  it), and frees his slot. A dialog held without a queue place (a transfer, a lead) gets the front of
  its priority (ARGV[4]).

  KEYS[1] held HASH
  KEYS[2] operatorDialogs lex ZSET
  KEYS[3] offers ZSET
  KEYS[4] declined lex ZSET
  KEYS[5] queue ZSET of ARGV[3]
  KEYS[6] queued HASH
  KEYS[7] queuedGroups SET
  KEYS[8] opLoad HASH

  ARGV[1] dialogId
  ARGV[2] operatorId
  ARGV[3] groupId the caller read for the holding
  ARGV[4] score for a holding without a queue place

  Returns {1} requeued | {0} that operator does not hold the dialog | {-2, groupId} held for another group: retry
]]
--- @include "includes/split-fields"
--- @include "includes/queue"
--- @include "includes/holding"
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return {0} end
local h = splitFields(record)
if h[1] ~= ARGV[2] then return {0} end
if h[2] ~= ARGV[3] then return {-2, h[2]} end
local score = h[6]
if not tonumber(score) or tonumber(score) <= 0 then score = ARGV[4] end
unholdDialog(KEYS[1], KEYS[2], KEYS[8], KEYS[3], ARGV[1], ARGV[2])
clearDeclined(KEYS[4], ARGV[1])
addToQueue(KEYS[5], KEYS[6], KEYS[7], h[2], ARGV[1], score, h[3])
return {1}
