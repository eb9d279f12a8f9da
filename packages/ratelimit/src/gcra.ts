import type { Policy } from './policy.js'
import type { PolicyState, Step } from './step.js'

/**
 * Token bucket as GCRA (generic cell rate algorithm): one number per key, the theoretical
 * arrival time (TAT) at which the bucket would be full again. Each unit pushes the TAT one
 * emission interval (`window / limit`) further; a request passes when, after paying, the TAT
 * is no further ahead of now than the bucket's capacity (`burst` intervals). Time is in whole
 * microseconds so that the arithmetic is exact in TypeScript and Lua alike.
 *
 * `resetMs` is the time until the next unit drips in (the draft's `t`: until then the client
 * can use no more than `remaining`); 0 once the bucket is full. The state is kept until the
 * bucket is full (`ttlMs`), after which an absent state means the same thing.
 */
export function gcra(policy: Policy, state: PolicyState, now: number, cost: number): Step {
  const interval = policy.intervalUs
  const capacity = policy.burst * interval
  const nowUs = now * 1000
  const tat = state.a > nowUs ? state.a : nowUs
  const nextTat = tat + cost * interval
  const allowAt = nextTat - capacity
  if (allowAt <= nowUs) {
    const slack = nowUs - allowAt
    return {
      allowed: true,
      remaining: Math.floor(slack / interval),
      resetMs: nextTat > nowUs ? Math.ceil((interval - (slack % interval)) / 1000) : 0,
      retryAfterMs: 0,
      next: { a: nextTat, b: 0, c: 0 },
      ttlMs: Math.ceil((nextTat - nowUs) / 1000),
    }
  }
  const slack = Math.max(0, nowUs - (tat - capacity))
  // A cost above the bucket's capacity never passes: the wait is until the bucket is full,
  // not a product of the cost (whatever a cost function returned).
  const passesAt = cost > policy.burst ? tat : allowAt
  return {
    allowed: false,
    remaining: Math.floor(slack / interval),
    resetMs: tat > nowUs ? Math.ceil((interval - (slack % interval)) / 1000) : 0,
    retryAfterMs: Math.ceil((passesAt - nowUs) / 1000),
    next: { a: tat, b: 0, c: 0 },
    ttlMs: Math.ceil((tat - nowUs) / 1000),
  }
}
