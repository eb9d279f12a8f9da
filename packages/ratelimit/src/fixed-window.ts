import type { Policy } from './policy.js'
import type { PolicyState, Step } from './step.js'

/**
 * Fixed window: windows aligned to the epoch, so every process and the Redis script agree
 * on where a window starts without sharing anything but the clock. Cheap and exact, at the
 * cost of allowing up to twice the limit across a window boundary.
 */
export function fixedWindow(policy: Policy, state: PolicyState, now: number, cost: number): Step {
  const window = policy.windowMs
  const start = now - (now % window)
  const used = state.a === start ? state.b : 0
  const resetMs = start + window - now
  if (used + cost <= policy.limit) {
    const count = used + cost
    return {
      allowed: true,
      remaining: policy.limit - count,
      resetMs,
      retryAfterMs: 0,
      next: { a: start, b: count, c: 0 },
      ttlMs: resetMs,
    }
  }
  return {
    allowed: false,
    remaining: policy.limit - used,
    resetMs,
    retryAfterMs: resetMs,
    next: { a: start, b: used, c: 0 },
    ttlMs: resetMs,
  }
}
