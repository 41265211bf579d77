-- Sliding-window counter, atomic in Redis so every control-plane replica shares one budget.
-- KEYS[1]: bucket name. KEYS[2] (optional): the cached principal of an API key; its plan picks
-- the limit, and a missing entry charges nothing (the caller resolves the key and retries).
-- ARGV[1]: window seconds. ARGV[2]: limit when there is no KEYS[2]. ARGV[3]: JSON plan limits.
-- Returns {allowed (1|0|-1 for cache miss), remaining, reset_ms, retry_after_ms, limit, cached}.
local limit = tonumber(ARGV[2])
local cached = false
if KEYS[2] then
  cached = redis.call('GET', KEYS[2])
  if not cached then
    return {-1, 0, 0, 0, 0, false}
  end
  local plan = cjson.decode(cached)['plan']
  limit = tonumber(cjson.decode(ARGV[3])[plan] or limit)
end
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1]) * 1000
local index = math.floor(t / window)
local current_key = KEYS[1] .. ':' .. index
local previous_key = KEYS[1] .. ':' .. (index - 1)
local current = tonumber(redis.call('GET', current_key) or '0')
local previous = tonumber(redis.call('GET', previous_key) or '0')
local elapsed = t - index * window
local reset = (index + 1) * window
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
  return {0, 0, t + retry, retry, limit, cached}
end
redis.call('INCR', current_key)
redis.call('PEXPIRE', current_key, window * 2)
return {1, math.floor(limit - estimate - 1), reset, 0, limit, cached}
