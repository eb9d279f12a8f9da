import { describe, expect, it } from 'vitest'
import { ALGORITHM_CASES } from './algorithm-table.js'
import { stepPolicy } from './evaluate.js'

describe('rate limit algorithms (pure)', () => {
  it.each(ALGORITHM_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(stepPolicy(c.policy, c.state, c.now, c.cost)).toEqual(c.expected)
  })
})
