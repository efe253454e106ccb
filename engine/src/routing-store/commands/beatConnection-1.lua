--[[
  Records until when one operator connection is known alive: renewed every few seconds by the node
  holding the socket (now + TTL), set to `now` when the socket closes. The reconciler reads the
  latest of an operator's entries to tell whether he still has a live connection anywhere.

  KEYS[1] heartbeats ZSET of the operator: connectionId → alive-until (epoch ms)

  ARGV[1] connectionId
  ARGV[2] alive-until

  Returns 1
]]
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
