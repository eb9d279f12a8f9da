import { fixedWindow } from './fixed-window.js'
import { gcra } from './gcra.js'
import { FIXED_WINDOW, SLIDING_WINDOW, type Policy } from './policy.js'
import { slidingWindow } from './sliding-window.js'
import { EMPTY_STATE, type PolicyState, type Step } from './step.js'

/** One policy's verdict as the middleware reports it (headers, Retry-After). */
export interface PolicyOutcome {
  allowed: boolean
  remaining: number
  resetMs: number
  retryAfterMs: number
}

/** What a store answers for one request: allowed only when every policy allowed it. */
export interface Decision {
  allowed: boolean
  /** One outcome per policy, in the order the policies were given. */
  outcomes: PolicyOutcome[]
}

/** Runs one policy's algorithm. */
export function stepPolicy(policy: Policy, state: PolicyState, now: number, cost: number): Step {
  if (policy.algorithm === FIXED_WINDOW) return fixedWindow(policy, state, now, cost)
  if (policy.algorithm === SLIDING_WINDOW) return slidingWindow(policy, state, now, cost)
  return gcra(policy, state, now, cost)
}

/**
 * Checks every policy, then consumes from all of them only if all allow: a request refused
 * by one policy (say 1000/h) must not spend the quota of another (10/s). Returns the steps;
 * the caller keeps each step's `next` state only when `allowed`.
 */
export function evaluatePolicies(
  policies: readonly Policy[],
  states: readonly (PolicyState | undefined)[],
  now: number,
  cost: number,
): { allowed: boolean; steps: Step[] } {
  const steps: Step[] = new Array<Step>(policies.length)
  let allowed = true
  for (let i = 0; i < policies.length; i++) {
    const step = stepPolicy(policies[i] as Policy, states[i] ?? EMPTY_STATE, now, cost)
    if (!step.allowed) allowed = false
    steps[i] = step
  }
  if (!allowed) {
    // A refused request consumed nothing: report the other policies as they stand.
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as Step
      if (step.allowed) steps[i] = stepPolicy(policies[i] as Policy, states[i] ?? EMPTY_STATE, now, 0)
    }
  }
  return { allowed, steps }
}
