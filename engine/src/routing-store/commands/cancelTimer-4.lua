--[[
  Cancels one timer, claimed or not (a running claim is voided).

  KEYS[1] timers ZSET
  KEYS[2] timerIndex lex ZSET
  KEYS[3] claims ZSET
  KEYS[4] claimTokens HASH

  ARGV[1] member `dialogId|key`

  Returns 1 cancelled | 0 no such timer
]]
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return redis.call('ZREM', KEYS[2], ARGV[1])
