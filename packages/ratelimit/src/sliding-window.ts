import type { Policy } from './policy.js'
import type { PolicyState, Step } from './step.js'

/**
 * Sliding window counter (the approximation Cloudflare and Figma describe): the count of the
 * previous fixed window, weighted by how much of it still overlaps the sliding window, plus
 * the count of the current one. Two numbers per key instead of a log of timestamps, and it
 * smooths the double burst a fixed window allows at its boundary.
 *
 * The float expression is written in one order, `previous * (window - elapsed) / window`,
 * here and in the Lua script, so both round identically (IEEE 754 doubles in V8 and Lua).
 */
export function slidingWindow(policy: Policy, state: PolicyState, now: number, cost: number): Step {
  const window = policy.windowMs
  const limit = policy.limit
  const start = now - (now % window)
  let current = 0
  let previous = 0
  if (state.a === start) {
    current = state.b
    previous = state.c
  } else if (state.a === start - window) {
    previous = state.b
  }
  const elapsed = now - start
  const toWindowEnd = window - elapsed
  const weighted = (previous * (window - elapsed)) / window
  const ttlMs = toWindowEnd + window
  if (weighted + current + cost <= limit) {
    const count = current + cost
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor(limit - (weighted + count))),
      resetMs: toWindowEnd,
      retryAfterMs: 0,
      next: { a: start, b: count, c: previous },
      ttlMs,
    }
  }
  let retryAfterMs: number
  const room = limit - current - cost
  if (room >= 0) {
    // The previous window's weight must fall to `room`: prev * (window - e) / window <= room.
    retryAfterMs = Math.max(1, Math.ceil((window * (previous - room)) / previous) - elapsed)
  } else {
    // Not before the next window, where this window's count becomes the weighted one and
    // must fall to `limit - cost` (never, when the cost alone exceeds the limit).
    const roomThen = limit - cost
    retryAfterMs =
      roomThen < 0 ? toWindowEnd + window : toWindowEnd + Math.ceil((window * (current - roomThen)) / current)
  }
  return {
    allowed: false,
    remaining: Math.max(0, Math.floor(limit - (weighted + current))),
    resetMs: toWindowEnd,
    retryAfterMs,
    next: { a: start, b: current, c: previous },
    ttlMs,
  }
}
