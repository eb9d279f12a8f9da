import { createHash } from 'node:crypto'
import type { Policy } from './policy.js'

/**
 * The Redis mirror of `evaluatePolicies` (evaluate.ts) and the three algorithms
 * (fixed-window.ts, sliding-window.ts, gcra.ts): the same arithmetic on the same `a`, `b`, `c`
 * state, in the same order of operations, so both round identically; `redis-store.test.ts`
 * runs the algorithm tables against it on a real Redis.
 *
 * One call per request: it reads every policy's hash, checks all, and writes only when all
 * allow, atomically because Redis runs a script without interleaving. All KEYS share one
 * hash tag, so on Redis Cluster they live in one slot and the script runs on one node.
 *
 * KEYS[i]: state hash of policy i.
 * ARGV[1]: now in epoch ms, or 0 to use the server's TIME, so that every process sharing
 *          the server agrees on the clock (tests pass a fixed time to replay the tables).
 * ARGV[2]: cost.
 * ARGV[3 + 5(i-1) ...]: algorithm code, limit, window ms, burst, interval µs of policy i.
 * ARGV[3 + 5n] (optional): deadline on the script's clock, after which the verdict is no
 *          longer awaited (the caller timed out and decided by its failure policy): the script
 *          then consumes nothing and returns { -1, now }. A command that ioredis resends after a
 *          reconnect, or that ran only after CLIENT PAUSE or a stall, cannot charge a client
 *          for a request that was already answered.
 * Returns: { allowed (0/1), then per policy: allowed, remaining, resetMs, retryAfterMs, then
 *          now }: the clock the script used, so the caller can place its deadlines on it.
 *
 * Numbers are written with %.17g: Lua 5.1's tostring keeps 14 digits, which would round a
 * microsecond TAT (16 digits) and make Redis disagree with TypeScript.
 */
export const RATE_LIMIT_SCRIPT = `
local now = tonumber(ARGV[1])
if now == 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local cost = tonumber(ARGV[2])
local n = #KEYS
local deadline = tonumber(ARGV[3 + 5 * n]) or 0
if deadline > 0 and now > deadline then return { -1, now } end

local function step(i, a, b, c, units)
  local base = 2 + (i - 1) * 5
  local algorithm = tonumber(ARGV[base + 1])
  local limit = tonumber(ARGV[base + 2])
  local window = tonumber(ARGV[base + 3])
  if algorithm == 1 then
    local start = now - (now % window)
    local used = 0
    if a == start then used = b end
    local reset = start + window - now
    if used + units <= limit then
      return 1, limit - (used + units), reset, 0, start, used + units, 0, reset
    end
    return 0, limit - used, reset, reset, start, used, 0, reset
  elseif algorithm == 2 then
    local start = now - (now % window)
    local current = 0
    local previous = 0
    if a == start then
      current = b
      previous = c
    elseif a == start - window then
      previous = b
    end
    local elapsed = now - start
    local toEnd = window - elapsed
    local weighted = (previous * (window - elapsed)) / window
    local ttl = toEnd + window
    if weighted + current + units <= limit then
      local count = current + units
      return 1, math.max(0, math.floor(limit - (weighted + count))), toEnd, 0, start, count, previous, ttl
    end
    local retry
    local room = limit - current - units
    if room >= 0 then
      retry = math.max(1, math.ceil((window * (previous - room)) / previous) - elapsed)
    else
      local roomThen = limit - units
      if roomThen < 0 then
        retry = toEnd + window
      else
        retry = toEnd + math.ceil((window * (current - roomThen)) / current)
      end
    end
    return 0, math.max(0, math.floor(limit - (weighted + current))), toEnd, retry, start, current, previous, ttl
  else
    local interval = tonumber(ARGV[base + 5])
    local capacity = tonumber(ARGV[base + 4]) * interval
    local nowUs = now * 1000
    local tat = nowUs
    if a > nowUs then tat = a end
    local nextTat = tat + units * interval
    local allowAt = nextTat - capacity
    if allowAt <= nowUs then
      local slack = nowUs - allowAt
      local reset = 0
      if nextTat > nowUs then reset = math.ceil((interval - (slack % interval)) / 1000) end
      return 1, math.floor(slack / interval), reset, 0, nextTat, 0, 0, math.ceil((nextTat - nowUs) / 1000)
    end
    local slack = math.max(0, nowUs - (tat - capacity))
    local reset = 0
    if tat > nowUs then reset = math.ceil((interval - (slack % interval)) / 1000) end
    local passesAt = allowAt
    if units > tonumber(ARGV[base + 4]) then passesAt = tat end
    return 0, math.floor(slack / interval), reset, math.ceil((passesAt - nowUs) / 1000), tat, 0, 0,
      math.ceil((tat - nowUs) / 1000)
  end
end

local states = {}
local steps = {}
local allowed = 1
for i = 1, n do
  local s = redis.call('HMGET', KEYS[i], 'a', 'b', 'c')
  local a = tonumber(s[1]) or 0
  local b = tonumber(s[2]) or 0
  local c = tonumber(s[3]) or 0
  states[i] = { a, b, c }
  local ok, remaining, reset, retry, na, nb, nc, ttl = step(i, a, b, c, cost)
  if ok == 0 then allowed = 0 end
  steps[i] = { ok, remaining, reset, retry, na, nb, nc, ttl }
end

local reply = { allowed }
for i = 1, n do
  local s = steps[i]
  if allowed == 1 then
    if s[8] > 0 then
      redis.call('HSET', KEYS[i], 'a', string.format('%.17g', s[5]), 'b', string.format('%.17g', s[6]),
        'c', string.format('%.17g', s[7]))
      redis.call('PEXPIRE', KEYS[i], s[8])
    else
      -- A state that matters for no time (a full bucket) is the same as no state.
      redis.call('DEL', KEYS[i])
    end
  elseif s[1] == 1 then
    -- Refused by another policy: this one consumed nothing; report it as it stands.
    local st = states[i]
    local ok, remaining, reset, retry = step(i, st[1], st[2], st[3], 0)
    s = { ok, remaining, reset, retry }
  end
  reply[#reply + 1] = s[1]
  reply[#reply + 1] = s[2]
  reply[#reply + 1] = s[3]
  reply[#reply + 1] = s[4]
end
reply[#reply + 1] = now
return reply
`

/** SHA1 of the script, for EVALSHA. */
export const RATE_LIMIT_SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex')

/** The five ARGV entries that describe one policy to the script. */
export function policyArguments(policy: Policy): string[] {
  return [
    String(policy.algorithm),
    String(policy.limit),
    String(policy.windowMs),
    String(policy.burst),
    String(policy.intervalUs),
  ]
}
