import { describe, expect, it } from 'vitest'
import { BriskMetrics, defaultMetrics, resolveMetrics } from './metrics.js'
import { BriskOptionError } from './options-error.js'

describe('resolveMetrics', () => {
  it('gives the shared counters when none are given, and the given ones otherwise', () => {
    const own = new BriskMetrics()
    expect(resolveMetrics(undefined)).toBe(defaultMetrics)
    expect(resolveMetrics(own)).toBe(own)
  })

  it('accepts a BriskMetrics of another copy of @brisk/core, which instanceof would not', () => {
    const foreign = { inc: () => {} }
    expect(resolveMetrics(foreign)).toBe(foreign)
  })

  it.each([[5], [{}], [null], ['metrics']])('refuses %j at creation, naming the option', (value) => {
    expect(() => resolveMetrics(value, 'cache metrics')).toThrow(BriskOptionError)
    expect(() => resolveMetrics(value, 'cache metrics')).toThrow(/cache metrics/)
  })
})
