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
--- @include "includes/claim-due"
return claimDue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4])
