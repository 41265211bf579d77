-- Sliding-window counters, atomic in Redis so every control-plane replica shares one budget.
-- Charges a batch of requests in one call: request i uses KEYS[2i-1] (its bucket) and
-- KEYS[2i] (the cached principal of its API key, or "" for none: then ARGV[2+i] is the limit).
-- A cached principal's plan picks the limit from ARGV[2] (JSON plan limits); a missing cache
-- entry charges nothing (the caller resolves the key and retries).
-- ARGV[1]: window seconds. Returns, per request, {allowed (1|0|-1 for a cache miss),
-- remaining, reset (epoch seconds, rounded up), retry after (whole seconds, at least 1), limit,
-- cached principal or false}: the values of the response headers, ready to send.
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1]) * 1000
local index = math.floor(t / window)
local elapsed = t - index * window
local reset = (index + 1) * window
local plans = nil
local out = {}

local function charge(bucket, limit, cached)
  local current_key = bucket .. ':' .. index
  local current = tonumber(redis.call('GET', current_key) or '0')
  local previous = tonumber(redis.call('GET', bucket .. ':' .. (index - 1)) or '0')
  local estimate = previous * (window - elapsed) / window + current
  if estimate + 1 > limit then
    local retry
    if current + 1 > limit then
      -- This window is full on its own: wait for the next one, then for the carry-over to decay.
      local wait_next = math.ceil(window * (1 - (limit - 1) / math.max(current, 1)))
      retry = reset - t + math.max(wait_next, 0)
    else
      retry = math.ceil(window - (limit - 1 - current) * window / previous) - elapsed
    end
    return {0, 0, math.ceil((t + retry) / 1000), math.max(1, math.ceil(retry / 1000)), limit, cached}
  end
  redis.call('INCR', current_key)
  redis.call('PEXPIRE', current_key, window * 2)
  return {1, math.max(math.floor(limit - estimate - 1), 0), math.ceil(reset / 1000), 1, limit, cached}
end

for i = 1, #KEYS / 2 do
  local bucket, cache_key = KEYS[2 * i - 1], KEYS[2 * i]
  local result
  if cache_key == '' then
    result = charge(bucket, tonumber(ARGV[2 + i]), false)
  else
    local cached = redis.call('GET', cache_key)
    if not cached then
      result = {-1, 0, 0, 0, 0, false}
    else
      plans = plans or cjson.decode(ARGV[2])
      local plan = cjson.decode(cached)['plan']
      result = charge(bucket, tonumber(plans[plan] or ARGV[2 + i]), cached)
    end
  end
  for _, value in ipairs(result) do
    out[#out + 1] = value
  end
end
return out
