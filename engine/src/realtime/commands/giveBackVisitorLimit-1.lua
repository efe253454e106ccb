--[[
  Gives back one event counted in a fixed window that turned out not to happen (a token counted with
  its handshake, but no visitor minted: the address is blocked, the site unknown). A window that
  ended meanwhile is left alone: DECR on a missing key would make a counter without expiry.

  KEYS[1] counter STRING

  Returns the count left, or -1 when the window had ended
]]
local consumed = tonumber(redis.call('GET', KEYS[1]) or '-1')
if consumed <= 0 then return -1 end
return redis.call('DECR', KEYS[1])
