--[[
  Counts one login attempt BEFORE its password is checked, or refuses it; one step, so parallel
  guesses can never pass a limit between a check and a count.

  KEYS[1] pair STRING     attempts of one e-mail from one address (hard limit, fixed window)
  KEYS[2] address STRING  attempts from one address, any e-mail (hard limit, fixed window)
  KEYS[3] e-mail HASH     { n = attempts not followed by a success, last = epoch ms of the last }
  KEYS[4] known STRING    present while this address logged in to this e-mail recently

  ARGV[1] pair limit
  ARGV[2] address limit
  ARGV[3] window ms
  ARGV[4] now (epoch ms)
  ARGV[5] longest e-mail delay ms

  Returns { 0 } counted | { 1, retryAfterMs } pair limit | { 2, retryAfterMs } address limit
        | { 3, retryAfterMs } the e-mail's delay has not passed yet
]]
local pairLimit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[3])
local now = tonumber(ARGV[4])

local function full(key, limit)
  if tonumber(redis.call('GET', key) or '0') >= limit then return math.max(redis.call('PTTL', key), 1) end
  return nil
end

local wait = full(KEYS[1], pairLimit)
if wait then return { 1, wait } end
wait = full(KEYS[2], tonumber(ARGV[2]))
if wait then return { 2, wait } end

-- Past the pair limit's worth of misses, the e-mail slows down for every address it was not
-- recently used from: 2 s, 4 s, 8 s ... up to the longest delay, never a lockout.
local n = tonumber(redis.call('HGET', KEYS[3], 'n') or '0')
if n >= pairLimit and redis.call('EXISTS', KEYS[4]) == 0 then
  local due = tonumber(redis.call('HGET', KEYS[3], 'last') or '0')
    + math.min(1000 * 2 ^ (n - pairLimit + 1), tonumber(ARGV[5]))
  if now < due then return { 3, due - now } end
end

for _, key in ipairs({ KEYS[1], KEYS[2] }) do
  redis.call('INCR', key)
  redis.call('PEXPIRE', key, windowMs, 'NX')
end
redis.call('HINCRBY', KEYS[3], 'n', 1)
redis.call('HSET', KEYS[3], 'last', now)
-- Sliding: an e-mail under steady attack keeps its delay.
redis.call('PEXPIRE', KEYS[3], windowMs)
return { 0 }
