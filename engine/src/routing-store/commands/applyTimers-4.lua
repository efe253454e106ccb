--[[
  Applies one transition's timer changes at once: cancels some of a dialog's timers and schedules (or
  moves) others, as cancelTimer-4 and scheduleTimer-4 each would. One round trip per transition
  instead of one per timer.

  KEYS[1] timers ZSET member → dueAt
  KEYS[2] timerIndex lex ZSET
  KEYS[3] claims ZSET member → lease deadline
  KEYS[4] claimTokens HASH

  ARGV[1]              n: how many members to cancel
  ARGV[2 .. n+1]       members `dialogId|key` to cancel
  ARGV[n+2 ..]         pairs: member `dialogId|key`, dueAt, to schedule

  Returns the number of timers cancelled
]]
local n = tonumber(ARGV[1])
local cancelled = 0
-- Cancelling or scheduling voids a running claim alike: its ack then fails.
for i = 2, n + 1 do
  local member = ARGV[i]
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[3], member)
  redis.call('HDEL', KEYS[4], member)
  cancelled = cancelled + redis.call('ZREM', KEYS[2], member)
end
for i = n + 2, #ARGV, 2 do
  local member = ARGV[i]
  redis.call('ZREM', KEYS[3], member)
  redis.call('HDEL', KEYS[4], member)
  redis.call('ZADD', KEYS[1], ARGV[i + 1], member)
  redis.call('ZADD', KEYS[2], 0, member)
end
return cancelled
