--[[
  Drops an operator's connection entries that were alive only until before ARGV[1] (dead or closed
  connections already acted on), so the set stays as small as his live connections.

  KEYS[1] heartbeats ZSET of the operator: connectionId → alive-until (epoch ms)

  ARGV[1] cutoff (epoch ms): entries with alive-until < cutoff go

  Returns the number of entries removed
]]
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
