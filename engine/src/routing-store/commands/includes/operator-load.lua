-- An operator's status, limit and load (what his self update shows): {} when he is unknown.
local function operatorLoad(statusKey, limitKey, loadKey, operatorId)
  local status = redis.call('HGET', statusKey, operatorId)
  if not status then return {} end
  return {status, redis.call('HGET', limitKey, operatorId) or '0', redis.call('HGET', loadKey, operatorId) or '0'}
end
