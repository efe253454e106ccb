--[[
  Renews several operator connections' heartbeats in one call: a node beats for all the operator
  connections it holds at once, one command per interval whatever their number.

  KEYS[i] heartbeats ZSET of the operator of the i-th connection (a key may repeat: one operator,
          several connections)

  ARGV[2i-1] the i-th connectionId
  ARGV[2i]   its alive-until (epoch ms)

  Returns the number of entries written
]]
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[2 * i], ARGV[2 * i - 1])
end
return #KEYS
