-- Splits a stored record `a|b|c` into its fields, keeping empty ones (a group id may be '').
local function splitFields(s)
  local out = {}
  local start = 1
  while true do
    local i = string.find(s, '|', start, true)
    if not i then
      out[#out + 1] = string.sub(s, start)
      return out
    end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end
