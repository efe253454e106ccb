--[[
  Counts one visitor event against his own fixed window and then his address's, in one round trip:
  the address is counted only when the visitor is under his limit, so a visitor flooding past it
  does not use up the budget of others behind the same address.

  KEYS[1] visitor STRING  events of this action by this visitor in the current window
  KEYS[2] address STRING  events of this action from this address in the current window

  ARGV[1] visitor points (0: do not count the visitor: none known, or a token)
  ARGV[2] visitor window seconds
  ARGV[3] address points (0: do not count the address: this node already refuses it from memory)
  ARGV[4] address window seconds

  Returns { 0, 0 } counted | { 1, msBeforeNext } the visitor is over | { 2, msBeforeNext } the address is over
]]
local function take(key, points, seconds)
  redis.call('SET', key, 0, 'EX', seconds, 'NX')
  local consumed = redis.call('INCRBY', key, 1)
  if consumed <= points then return nil end
  return math.max(redis.call('PTTL', key), 1)
end

local visitorPoints = tonumber(ARGV[1])
if visitorPoints > 0 then
  local wait = take(KEYS[1], visitorPoints, ARGV[2])
  if wait then return { 1, wait } end
end
local addressPoints = tonumber(ARGV[3])
if addressPoints > 0 then
  local wait = take(KEYS[2], addressPoints, ARGV[4])
  if wait then return { 2, wait } end
end
return { 0, 0 }
