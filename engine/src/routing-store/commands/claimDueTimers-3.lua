--[[
  Hands out up to ARGV[3] timers under a lease: first claims whose lease lapsed (the claimer died),
  then due timers, which move from `timers` to `claims`. Every hand-out gets a fresh token; only the
  latest token can ack. Loops at most ARGV[3] times.

  KEYS[1] timers ZSET member → dueAt
  KEYS[2] claims ZSET member → lease deadline
  KEYS[3] claimTokens HASH member → `token|dueAt`

  ARGV[1] now
  ARGV[2] lease deadline (now + leaseMs)
  ARGV[3] max
  ARGV[4] token base, unique per call

  Returns a flat list {member, dueAt, token, ...}
]]
local out = {}
local n = 0
local max = tonumber(ARGV[3])
local function handOut(member, dueAt)
  n = n + 1
  local token = ARGV[4] .. '.' .. n
  redis.call('ZADD', KEYS[2], ARGV[2], member)
  redis.call('HSET', KEYS[3], member, token .. '|' .. dueAt)
  out[#out + 1] = member
  out[#out + 1] = dueAt
  out[#out + 1] = token
end
if max <= 0 then return out end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, max)
for _, member in ipairs(lapsed) do
  local record = redis.call('HGET', KEYS[3], member) or ''
  local bar = string.find(record, '|', 1, true)
  handOut(member, bar and string.sub(record, bar + 1) or ARGV[1])
end
if n < max then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, max - n)
  for i = 1, #due, 2 do
    redis.call('ZREM', KEYS[1], due[i])
    handOut(due[i], due[i + 1])
  end
end
return out
