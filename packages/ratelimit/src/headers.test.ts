import { describe, expect, it } from 'vitest'
import { rateLimitField, rateLimitPolicyField, retryAfterSeconds, setLegacyHeaders } from './headers.js'
import { compilePolicies } from './policy.js'
import { parseStringList } from './structured-list.test-support.js'

const policies = compilePolicies(
  [
    { limit: 100, window: '1m', name: 'burst' },
    { limit: 1000, window: '1d', name: 'daily' },
  ],
  'policies',
)

describe('RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11)', () => {
  it('writes RateLimit-Policy as an sf-list of named policies with q and w', () => {
    const field = rateLimitPolicyField(policies)
    expect(field).toBe('"burst";q=100;w=60, "daily";q=1000;w=86400')
    expect(parseStringList(field)).toEqual([
      { value: 'burst', params: { q: 100, w: 60 } },
      { value: 'daily', params: { q: 1000, w: 86400 } },
    ])
  })

  it('writes RateLimit with r and t in whole seconds, rounded up', () => {
    const field = rateLimitField(policies, [
      { allowed: true, remaining: 42, resetMs: 29_001, retryAfterMs: 0 },
      { allowed: true, remaining: 900, resetMs: 3_600_000, retryAfterMs: 0 },
    ])
    expect(field).toBe('"burst";r=42;t=30, "daily";r=900;t=3600')
    expect(parseStringList(field)).toEqual([
      { value: 'burst', params: { r: 42, t: 30 } },
      { value: 'daily', params: { r: 900, t: 3600 } },
    ])
  })

  it('gives a refusing policy r=0 and t equal to its wait, never a negative r', () => {
    const field = rateLimitField(policies, [
      { allowed: false, remaining: -3, resetMs: 50_000, retryAfterMs: 1500 },
      { allowed: true, remaining: 10, resetMs: 0, retryAfterMs: 0 },
    ])
    expect(parseStringList(field)).toEqual([
      { value: 'burst', params: { r: 0, t: 2 } },
      { value: 'daily', params: { r: 10, t: 0 } },
    ])
  })

  it('keeps policy names with spaces and slashes valid sf-strings', () => {
    const [policy] = compilePolicies([{ limit: 5, window: '1s', name: 'per user / 1s' }], 'options')
    expect(parseStringList(rateLimitPolicyField([policy!]))).toEqual([
      { value: 'per user / 1s', params: { q: 5, w: 1 } },
    ])
  })

  it('asks in Retry-After for the longest wait of the refusing policies, at least one second', () => {
    expect(
      retryAfterSeconds([
        { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 1200 },
        { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 4500 },
        { allowed: true, remaining: 3, resetMs: 99_000, retryAfterMs: 0 },
      ]),
    ).toBe(5)
    expect(retryAfterSeconds([{ allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 }])).toBe(1)
  })

  it('reports the most constrained policy in the legacy X-RateLimit fields, reset as epoch seconds', () => {
    const headers: Record<string, string> = {}
    setLegacyHeaders(
      headers,
      policies,
      [
        { allowed: true, remaining: 50, resetMs: 10_000, retryAfterMs: 0 },
        { allowed: true, remaining: 3, resetMs: 7_200_500, retryAfterMs: 0 },
      ],
      1_700_000_000_000,
    )
    expect(headers).toEqual({
      'x-ratelimit-limit': '1000',
      'x-ratelimit-remaining': '3',
      'x-ratelimit-reset': String(1_700_000_000 + 7201),
    })
  })

  it('points X-RateLimit-Reset at the longest wait of a refusal that several policies tie on, as Retry-After does', () => {
    const headers: Record<string, string> = {}
    const outcomes = [
      { allowed: false, remaining: 0, resetMs: 1_000, retryAfterMs: 1_000 },
      { allowed: false, remaining: 0, resetMs: 60_000, retryAfterMs: 60_000 },
    ]
    setLegacyHeaders(headers, policies, outcomes, 1_700_000_000_000)
    expect(headers['x-ratelimit-reset']).toBe(String(1_700_000_000 + retryAfterSeconds(outcomes)))
    expect(headers['x-ratelimit-limit']).toBe('1000')
  })

  it('names the refusing policy that waits longest, even when another has fewer units left (weighted costs)', () => {
    const headers: Record<string, string> = {}
    // Cost 2: "burst" has no units left (wait 10 s), "daily" one (wait 1 h): both refuse.
    const outcomes = [
      { allowed: false, remaining: 0, resetMs: 10_000, retryAfterMs: 10_000 },
      { allowed: false, remaining: 1, resetMs: 3_600_000, retryAfterMs: 3_600_000 },
    ]
    setLegacyHeaders(headers, policies, outcomes, 1_700_000_000_000)
    expect(headers).toEqual({
      'x-ratelimit-limit': '1000',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': String(1_700_000_000 + retryAfterSeconds(outcomes)),
    })
  })

  it('ignores a policy that allowed a refused request, however few units it has left', () => {
    const headers: Record<string, string> = {}
    const outcomes = [
      { allowed: true, remaining: 0, resetMs: 50_000, retryAfterMs: 0 },
      { allowed: false, remaining: 2, resetMs: 3_000, retryAfterMs: 3_000 },
    ]
    setLegacyHeaders(headers, policies, outcomes, 1_700_000_000_000)
    expect(headers['x-ratelimit-reset']).toBe(String(1_700_000_000 + 3))
    expect(headers['x-ratelimit-remaining']).toBe('2')
  })
})

describe('parseStringList (test support)', () => {
  it.each(['burst;q=1', '"a";q=1.5', '"a";q=1,', '"a" "b"', '"a";Q=1', '"a\\x"'])('rejects %s', (field) => {
    expect(() => parseStringList(field)).toThrow(SyntaxError)
  })
})
