import { BriskOptionError } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import { compilePolicies, type PolicyOptions } from './policy.js'

describe('compilePolicies', () => {
  it('names a single policy "default" and builds its RateLimit-Policy item', () => {
    const [policy] = compilePolicies([{ limit: 100, window: '1m' }], 'options')
    expect(policy!.name).toBe('default')
    expect(policy!.policyItem).toBe('"default";q=100;w=60')
    expect(policy!.limitItemPrefix).toBe('"default";r=')
  })

  it('names several unnamed policies after their limit and window', () => {
    const policies = compilePolicies(
      [
        { limit: 10, window: '1s' },
        { limit: 1000, window: '1h' },
      ],
      'policies',
    )
    expect(policies.map((p) => p.name)).toEqual(['10-per-1s', '1000-per-3600s'])
  })

  it('rounds a window of partial seconds up in w, which the draft keeps whole', () => {
    const [policy] = compilePolicies([{ limit: 5, window: 1500 }], 'options')
    expect(policy!.policyItem).toBe('"default";q=5;w=2')
  })

  it('keeps the token bucket emission interval in whole microseconds', () => {
    const [policy] = compilePolicies([{ limit: 3, window: '1s', algorithm: 'gcra' }], 'options')
    expect(policy!.intervalUs).toBe(333_333)
    expect(policy!.burst).toBe(3)
  })

  it.each<[string, PolicyOptions[], string]>([
    ['a zero limit', [{ limit: 0, window: '1s' }], 'limit'],
    ['a fractional limit', [{ limit: 1.5, window: '1s' }], 'limit'],
    [
      'a limit of 16 digits (not an RFC 9651 Integer)',
      [{ limit: Number.MAX_SAFE_INTEGER, window: '1s' }],
      'limit',
    ],
    ['a burst of 16 digits', [{ limit: 1, window: '1s', algorithm: 'gcra', burst: 1e15 }], 'burst'],
    ['a window under a second', [{ limit: 1, window: '500ms' }], 'window'],
    ['a window that is not a duration', [{ limit: 1, window: 'soon' }], 'window'],
    ['an unknown algorithm', [{ limit: 1, window: '1s', algorithm: 'leaky' as 'gcra' }], 'algorithm'],
    ['a burst on a fixed window', [{ limit: 1, window: '1s', algorithm: 'fixed-window', burst: 2 }], 'burst'],
    ['a zero burst', [{ limit: 1, window: '1s', algorithm: 'gcra', burst: 0 }], 'burst'],
    ['a name with a quote', [{ limit: 1, window: '1s', name: 'a"b' }], 'name'],
    ['a name with a brace', [{ limit: 1, window: '1s', name: 'a{b' }], 'name'],
    [
      'a token bucket refilled faster than its whole-microsecond interval keeps exact',
      [{ limit: 600_000, window: '1s', algorithm: 'token-bucket' }],
      'at most 10000 per 1 s window',
    ],
    ['a window beyond a safe integer of milliseconds', [{ limit: 1, window: 1e300 }], '10 years'],
    ['a window over 10 years', [{ limit: 1, window: '3651d' }], '10 years'],
    [
      'a token bucket that would take over 10 years to fill (exact arithmetic in µs)',
      [{ limit: 1, window: '1000d', algorithm: 'token-bucket', burst: 4 }],
      'at most 3',
    ],
  ])('rejects %s at creation', (_label, list, option) => {
    expect(() => compilePolicies(list, 'options')).toThrow(BriskOptionError)
    expect(() => compilePolicies(list, 'options')).toThrow(option)
  })

  it('accepts a window of 10 years, and a token bucket that fills in that time', () => {
    const [window] = compilePolicies([{ limit: 5, window: '3650d' }], 'options')
    expect(window!.policyItem).toBe('"default";q=5;w=315360000')
    const [bucket] = compilePolicies(
      [{ limit: 1, window: '1000d', algorithm: 'token-bucket', burst: 3 }],
      'o',
    )
    expect(bucket!.burst).toBe(3)
  })

  it('accepts a token bucket of 10 000 units a second, whose interval of 100 µs is exact', () => {
    const [policy] = compilePolicies([{ limit: 10_000, window: '1s', algorithm: 'token-bucket' }], 'options')
    expect(policy!.intervalUs).toBe(100)
  })

  it('accepts the largest quota an RFC 9651 Integer holds', () => {
    const [policy] = compilePolicies([{ limit: 999_999_999_999_999, window: '1h' }], 'options')
    expect(policy!.policyItem).toBe('"default";q=999999999999999;w=3600')
  })

  it('rejects two policies with one name', () => {
    const list = [
      { limit: 1, window: '1s', name: 'x' },
      { limit: 2, window: '1m', name: 'x' },
    ]
    expect(() => compilePolicies(list, 'policies')).toThrow(/policies\[1\]\.name/)
  })

  it('rejects an empty policy list', () => {
    expect(() => compilePolicies([], 'policies')).toThrow(BriskOptionError)
  })
})
