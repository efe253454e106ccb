--[[
  The reconciler's presence read, for many operators in one call: each operator's latest
  alive-until, and for an operator still alive (latest after the cutoff) his entries that ran out
  before the cutoff are dropped (closed or dead connections of an operator connected elsewhere).
  An operator with nothing after the cutoff keeps his entries: the caller sets him offline first,
  then forgets them (forgetConnections), so a failure in between is seen again next run.

  KEYS[i] heartbeats ZSET of the i-th operator: connectionId → alive-until (epoch ms)

  ARGV[1] cutoff (epoch ms)

  Returns per key, in order, its latest alive-until, or '' when it has no entry
]]
local cutoff = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local latest = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
  if latest[2] then
    out[i] = latest[2]
    if tonumber(latest[2]) > cutoff then
      redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[1])
    end
  else
    out[i] = ''
  end
end
return out
