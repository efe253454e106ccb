--[[
  The timer worker's poll in one round trip: the offers whose answer time ran out, and up to ARGV[3]
  due timers claimed under a lease (as claimDueTimers-3). An idle engine sends this one command per
  poll, not a read of the offers plus a claim.

  KEYS[1] timers ZSET member → dueAt
  KEYS[2] claims ZSET member → lease deadline
  KEYS[3] claimTokens HASH member → `token|dueAt`
  KEYS[4] offers ZSET dialogId → offer expiry
  KEYS[5] held HASH dialogId → `operatorId|groupId|enqueuedAt|offered|expiresAt|score`

  ARGV[1] now
  ARGV[2] lease deadline (now + leaseMs)
  ARGV[3] max timers to claim
  ARGV[4] token base, unique per call

  Returns { {dialogId, held record, ...} of expired offers, {member, dueAt, token, ...} claimed }
]]
--- @include "includes/claim-due"
--- @include "includes/records-of"
local expired = recordsOf(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1]), KEYS[5])
return { expired, claimDue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]) }
