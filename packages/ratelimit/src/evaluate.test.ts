import { describe, expect, it } from 'vitest'
import { evaluatePolicies } from './evaluate.js'
import { compilePolicies } from './policy.js'
import type { PolicyState } from './step.js'

const T0 = 1_700_000_000_000

describe('evaluatePolicies', () => {
  const policies = compilePolicies(
    [
      { limit: 2, window: '1s', algorithm: 'token-bucket', name: 'burst' },
      { limit: 5, window: '1h', algorithm: 'fixed-window', name: 'hourly' },
    ],
    'policies',
  )

  it('allows a request only when every policy allows it', () => {
    let states: PolicyState[] = []
    const verdicts: boolean[] = []
    for (let i = 0; i < 4; i++) {
      const result = evaluatePolicies(policies, states, T0, 1)
      verdicts.push(result.allowed)
      if (result.allowed) states = result.steps.map((step) => step.next)
    }
    expect(verdicts).toEqual([true, true, false, false])
  })

  it('does not spend the quota of a policy that allowed a request another one refused', () => {
    // The burst is spent; the hourly quota has 3 of 5 left and must keep them.
    const first = evaluatePolicies(policies, [], T0, 2)
    const states = first.steps.map((step) => step.next)
    const refused = evaluatePolicies(policies, states, T0, 1)
    expect(refused.allowed).toBe(false)
    expect(refused.steps.map((step) => step.allowed)).toEqual([false, true])
    expect(refused.steps[1]!.remaining).toBe(3)
    expect(refused.steps[1]!.next).toEqual(states[1])
  })

  it('refuses when the long policy is spent even though the burst has room', () => {
    const states: PolicyState[] = [
      { a: 0, b: 0, c: 0 },
      { a: T0 - (T0 % 3_600_000), b: 5, c: 0 },
    ]
    const result = evaluatePolicies(policies, states, T0, 1)
    expect(result.allowed).toBe(false)
    expect(result.steps.map((step) => step.allowed)).toEqual([true, false])
    expect(result.steps[0]!.remaining).toBe(2)
  })
})
