--[[
  What a queue move changed for the waiting visitors (a read: changes nothing), without reading the
  queue: its length, its head, and with their positions the dialogs that crossed a bound since the
  marks of the previous read, those that entered since (a higher sequence in their score), those
  asked for and those at a range of positions; and the group's operators (their capacity gives the
  wait estimate), in the same round trip. Cost: O((head + bounds + priorities + reported) log n) and
  the group's operators, never the whole queue.

  KEYS[1..7] as readOperators-7: opStatus, opLimit, opLastAssigned, opOnlineSince, opGroups,
             groupOperators, opLoad (each operator's load, kept by the holding scripts)
  KEYS[8]    queue ZSET of the group
  KEYS[9]    seq counter
  KEYS[10]   epoch STRING

  ARGV[1] head: how many dialog ids of the head to return
  ARGV[2] bounds: ascending positions, comma-separated
  ARGV[3] the previous read's epoch ('' when there was none)
  ARGV[4] the previous read's sequence; '' when there is no previous read (no crossing, no entry)
  ARGV[5] the previous read's score per bound, comma-separated ('' where the queue was shorter)
  ARGV[6] dialog ids whose positions are wanted, joined by '|' (may be '')
  ARGV[7] positions 'from,to' (1-based, inclusive) whose dialogs are wanted ('' for none)
  ARGV[8] groupId

  Returns { length, { head ids }, { dialogId, position, ... }, epoch or '', seq, { score per bound, '' },
            { operator rows as readOperators-7 } }
]]
--- @include "includes/operator-rows"
local queue = KEYS[8]
local length = redis.call('ZCARD', queue)
local epoch = redis.call('GET', KEYS[10]) or ''
local seq = tonumber(redis.call('GET', KEYS[9]) or '0')
local SPAN = 4294967296
local MAX_PRIORITY = 9

local function split(text, separator)
  local parts = {}
  if text == '' then return parts end
  for part in string.gmatch(text .. separator, '(.-)' .. separator) do parts[#parts + 1] = part end
  return parts
end

local moved, seen = {}, {}
-- Dialogs at 0-based ranks from .. to - 1 (clipped to the queue).
local function report(from, to)
  if from < 0 then from = 0 end
  if to > length then to = length end
  if from >= to then return end
  local ids = redis.call('ZRANGE', queue, from, to - 1)
  for i, dialogId in ipairs(ids) do
    if not seen[dialogId] then
      seen[dialogId] = true
      moved[#moved + 1] = dialogId
      moved[#moved + 1] = from + i
    end
  end
end

local bounds = split(ARGV[2], ',')
if ARGV[4] ~= '' and ARGV[3] == epoch then
  local scores = split(ARGV[5], ',')
  for i, bound in ipairs(bounds) do
    bound = tonumber(bound)
    local score = scores[i] or ''
    -- Where the dialog that was at the bound stands now (it may have left: its score still counts).
    local now = length
    if score ~= '' then now = redis.call('ZCOUNT', queue, '-inf', score) end
    if now < bound then report(now, bound) else report(bound, now) end
  end
  local since = tonumber(ARGV[4])
  for priority = 0, MAX_PRIORITY do
    local base = (MAX_PRIORITY - priority) * SPAN
    local from = redis.call('ZCOUNT', queue, '-inf', string.format('%.0f', base + since))
    local to = redis.call('ZCOUNT', queue, '-inf', '(' .. string.format('%.0f', base + SPAN))
    report(from, to)
  end
end

for _, dialogId in ipairs(split(ARGV[6], '|')) do
  local rank = redis.call('ZRANK', queue, dialogId)
  if rank and not seen[dialogId] then
    seen[dialogId] = true
    moved[#moved + 1] = dialogId
    moved[#moved + 1] = rank + 1
  end
end

local ranks = split(ARGV[7], ',')
if #ranks == 2 then report(tonumber(ranks[1]) - 1, tonumber(ranks[2])) end

local marks = {}
for i, bound in ipairs(bounds) do
  local at = redis.call('ZRANGE', queue, tonumber(bound) - 1, tonumber(bound) - 1, 'WITHSCORES')
  marks[i] = at[2] or ''
end

local head = {}
if tonumber(ARGV[1]) > 0 then head = redis.call('ZRANGE', queue, 0, tonumber(ARGV[1]) - 1) end
local operators = operatorRows(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], groupMembers(KEYS[6], ARGV[8]), {})
return { length, head, moved, epoch, seq, marks, operators }
