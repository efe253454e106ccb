--[[
  Schedules or moves the timer `dialogId|key`. A timer rescheduled while claimed: the new schedule
  wins, the running claim is voided, so its ack fails and cannot delete the new schedule.

  KEYS[1] timers ZSET member → dueAt
  KEYS[2] timerIndex lex ZSET
  KEYS[3] claims ZSET member → lease deadline
  KEYS[4] claimTokens HASH

  ARGV[1] member `dialogId|key`
  ARGV[2] dueAt

  Returns 1
]]
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
