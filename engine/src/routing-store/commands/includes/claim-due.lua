-- Hands out up to `max` timers under a lease: first claims whose lease lapsed (the claimer died),
-- then due timers, which move from `timersKey` to `claimsKey`. Every hand-out gets a fresh token
-- (`tokenBase.n`); only the latest token can ack. Loops at most `max` times.
-- Returns a flat list {member, dueAt, token, ...}.
local function claimDue(timersKey, claimsKey, tokensKey, now, leaseDeadline, max, tokenBase)
  local out = {}
  local n = 0
  local function handOut(member, dueAt)
    n = n + 1
    local token = tokenBase .. '.' .. n
    redis.call('ZADD', claimsKey, leaseDeadline, member)
    redis.call('HSET', tokensKey, member, token .. '|' .. dueAt)
    out[#out + 1] = member
    out[#out + 1] = dueAt
    out[#out + 1] = token
  end
  if max <= 0 then return out end
  local lapsed = redis.call('ZRANGEBYSCORE', claimsKey, '-inf', now, 'LIMIT', 0, max)
  for _, member in ipairs(lapsed) do
    local record = redis.call('HGET', tokensKey, member) or ''
    local bar = string.find(record, '|', 1, true)
    handOut(member, bar and string.sub(record, bar + 1) or now)
  end
  if n < max then
    local due = redis.call('ZRANGEBYSCORE', timersKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, max - n)
    for i = 1, #due, 2 do
      redis.call('ZREM', timersKey, due[i])
      handOut(due[i], due[i + 1])
    end
  end
  return out
end
