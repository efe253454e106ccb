--[[
  The reconciler's presence read, for many operators in one call: each operator's latest
  alive-until, and for an operator still alive (latest after the cutoff) his entries that ran out
  before the cutoff are dropped (closed or dead connections of an operator connected elsewhere).
  An operator with nothing after the cutoff keeps his entries: the caller sets him offline first,
  then forgets them (forgetConnections), so a failure in between is seen again next run.
  One read per operator: his set holds only his connections of the last grace (older entries are
  dropped here or forgotten), so all of it comes in one ZRANGE, and the drop runs only when its
  earliest entry ran out (an idle sweep writes nothing).

  KEYS[i] heartbeats ZSET of the i-th operator: connectionId → alive-until (epoch ms)

  ARGV[1] cutoff (epoch ms)

  Returns per key, in order, its latest alive-until, or '' when it has no entry
]]
local cutoff = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local entries = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  local n = #entries
  if n > 0 then
    out[i] = entries[n]
    if tonumber(entries[n]) > cutoff and tonumber(entries[2]) < cutoff then
      redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[1])
    end
  else
    out[i] = ''
  end
end
return out
