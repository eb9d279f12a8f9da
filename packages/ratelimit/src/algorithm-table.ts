/**
 * Algorithm cases shared by the pure tests (`algorithms.test.ts`) and the Lua parity test
 * on a real Redis (`redis-script.test.ts`): given a policy, a state, now and a cost, the
 * decision and the next state. Not part of the package's public surface.
 */
import { compilePolicies, type Policy } from './policy.js'
import type { PolicyState, Step } from './step.js'

/** A window start: divisible by every window below, so alignment is easy to read. */
export const T0 = 1_700_000_000_000
const US = T0 * 1000

const [fixed] = compilePolicies([{ limit: 3, window: '10s', algorithm: 'fixed-window' }], 'table')
const [sliding] = compilePolicies([{ limit: 10, window: '10s', algorithm: 'sliding-window' }], 'table')
const [bucket] = compilePolicies([{ limit: 3, window: '3s', algorithm: 'token-bucket' }], 'table')
const [thirds] = compilePolicies([{ limit: 3, window: '1s', algorithm: 'gcra' }], 'table')
const [bursty] = compilePolicies([{ limit: 10, window: '1s', algorithm: 'gcra', burst: 5 }], 'table')

export interface AlgorithmCase {
  name: string
  policy: Policy
  state: PolicyState
  now: number
  cost: number
  expected: Omit<Step, 'next' | 'ttlMs'> & { next: PolicyState; ttlMs: number }
}

const EMPTY: PolicyState = { a: 0, b: 0, c: 0 }
const s = (a: number, b = 0, c = 0): PolicyState => ({ a, b, c })

export const ALGORITHM_CASES: AlgorithmCase[] = [
  // fixed window: 3 per 10 s
  {
    name: 'fixed: a first request opens the window aligned to the epoch',
    policy: fixed!,
    state: EMPTY,
    now: T0 + 2500,
    cost: 1,
    expected: { allowed: true, remaining: 2, resetMs: 7500, retryAfterMs: 0, next: s(T0, 1), ttlMs: 7500 },
  },
  {
    name: 'fixed: the last unit of the window passes',
    policy: fixed!,
    state: s(T0, 2),
    now: T0 + 9000,
    cost: 1,
    expected: { allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0, next: s(T0, 3), ttlMs: 1000 },
  },
  {
    name: 'fixed: a spent window refuses until it ends',
    policy: fixed!,
    state: s(T0, 3),
    now: T0 + 9000,
    cost: 1,
    expected: {
      allowed: false,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 1000,
      next: s(T0, 3),
      ttlMs: 1000,
    },
  },
  {
    name: 'fixed: a new window starts from zero',
    policy: fixed!,
    state: s(T0, 3),
    now: T0 + 10_000,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 2,
      resetMs: 10_000,
      retryAfterMs: 0,
      next: s(T0 + 10_000, 1),
      ttlMs: 10_000,
    },
  },
  {
    name: 'fixed: a cost above what remains is refused without spending',
    policy: fixed!,
    state: s(T0, 1),
    now: T0 + 1,
    cost: 3,
    expected: {
      allowed: false,
      remaining: 2,
      resetMs: 9999,
      retryAfterMs: 9999,
      next: s(T0, 1),
      ttlMs: 9999,
    },
  },
  {
    name: 'fixed: cost 0 peeks without spending',
    policy: fixed!,
    state: s(T0, 3),
    now: T0 + 5,
    cost: 0,
    expected: { allowed: true, remaining: 0, resetMs: 9995, retryAfterMs: 0, next: s(T0, 3), ttlMs: 9995 },
  },
  {
    name: 'fixed: a cost above the limit never passes',
    policy: fixed!,
    state: EMPTY,
    now: T0,
    cost: 4,
    expected: {
      allowed: false,
      remaining: 3,
      resetMs: 10_000,
      retryAfterMs: 10_000,
      next: s(T0, 0),
      ttlMs: 10_000,
    },
  },
  // sliding window: 10 per 10 s
  {
    name: 'sliding: a first request counts in the current window',
    policy: sliding!,
    state: EMPTY,
    now: T0 + 2500,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 9,
      resetMs: 7500,
      retryAfterMs: 0,
      next: s(T0, 1, 0),
      ttlMs: 17_500,
    },
  },
  {
    name: 'sliding: the previous window weighs by its overlap (8 × 75% = 6)',
    policy: sliding!,
    state: s(T0 - 10_000, 8),
    now: T0 + 2500,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 3,
      resetMs: 7500,
      retryAfterMs: 0,
      next: s(T0, 1, 8),
      ttlMs: 17_500,
    },
  },
  {
    name: 'sliding: a request that brings the weighted count exactly to the limit passes',
    policy: sliding!,
    state: s(T0, 3, 8),
    now: T0 + 2500,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 0,
      resetMs: 7500,
      retryAfterMs: 0,
      next: s(T0, 4, 8),
      ttlMs: 17_500,
    },
  },
  {
    name: 'sliding: refused until the previous window has decayed enough',
    policy: sliding!,
    state: s(T0, 4, 8),
    now: T0 + 2500,
    cost: 1,
    expected: {
      allowed: false,
      remaining: 0,
      resetMs: 7500,
      retryAfterMs: 1250,
      next: s(T0, 4, 8),
      ttlMs: 17_500,
    },
  },
  {
    name: 'sliding: a full current window waits into the next one',
    policy: sliding!,
    state: s(T0, 10, 0),
    now: T0 + 5000,
    cost: 1,
    expected: {
      allowed: false,
      remaining: 0,
      resetMs: 5000,
      retryAfterMs: 6000,
      next: s(T0, 10, 0),
      ttlMs: 15_000,
    },
  },
  {
    name: 'sliding: a state two windows old is forgotten',
    policy: sliding!,
    state: s(T0 - 20_000, 9, 9),
    now: T0 + 100,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 9,
      resetMs: 9900,
      retryAfterMs: 0,
      next: s(T0, 1, 0),
      ttlMs: 19_900,
    },
  },
  {
    name: 'sliding: a fractional weight rounds the remaining units down',
    policy: sliding!,
    state: s(T0 - 10_000, 3),
    now: T0 + 3333,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 6,
      resetMs: 6667,
      retryAfterMs: 0,
      next: s(T0, 1, 3),
      ttlMs: 16_667,
    },
  },
  {
    name: 'sliding: a cost above the limit never passes',
    policy: sliding!,
    state: EMPTY,
    now: T0,
    cost: 11,
    expected: {
      allowed: false,
      remaining: 10,
      resetMs: 10_000,
      retryAfterMs: 20_000,
      next: s(T0, 0, 0),
      ttlMs: 20_000,
    },
  },
  // token bucket (GCRA): 3 per 3 s, one unit per second, burst 3
  {
    name: 'bucket: a first request leaves the rest of the burst',
    policy: bucket!,
    state: EMPTY,
    now: T0,
    cost: 1,
    expected: { allowed: true, remaining: 2, resetMs: 1000, retryAfterMs: 0, next: s(US + 1e6), ttlMs: 1000 },
  },
  {
    name: 'bucket: the last unit of the burst passes',
    policy: bucket!,
    state: s(US + 2e6),
    now: T0,
    cost: 1,
    expected: { allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0, next: s(US + 3e6), ttlMs: 3000 },
  },
  {
    name: 'bucket: an empty bucket refuses for one emission interval',
    policy: bucket!,
    state: s(US + 3e6),
    now: T0,
    cost: 1,
    expected: {
      allowed: false,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 1000,
      next: s(US + 3e6),
      ttlMs: 3000,
    },
  },
  {
    name: 'bucket: a unit drips back after one interval',
    policy: bucket!,
    state: s(US + 3e6),
    now: T0 + 1500,
    cost: 1,
    expected: { allowed: true, remaining: 0, resetMs: 500, retryAfterMs: 0, next: s(US + 4e6), ttlMs: 2500 },
  },
  {
    name: 'bucket: an old state is a full bucket; cost 2 leaves 1',
    policy: bucket!,
    state: s(US - 5e6),
    now: T0,
    cost: 2,
    expected: { allowed: true, remaining: 1, resetMs: 1000, retryAfterMs: 0, next: s(US + 2e6), ttlMs: 2000 },
  },
  {
    name: 'bucket: a cost above the burst never passes; a full bucket has nothing to wait for',
    policy: bucket!,
    state: EMPTY,
    now: T0,
    cost: 4,
    expected: { allowed: false, remaining: 3, resetMs: 0, retryAfterMs: 0, next: s(US), ttlMs: 0 },
  },
  {
    name: 'bucket: however large a cost above the burst, the wait is until the bucket is full',
    policy: bucket!,
    state: s(US + 2e6),
    now: T0,
    cost: 1e14,
    expected: {
      allowed: false,
      remaining: 1,
      resetMs: 1000,
      retryAfterMs: 2000,
      next: s(US + 2e6),
      ttlMs: 2000,
    },
  },
  {
    name: 'bucket: three units of 333 333 µs fit a 999 999 µs burst exactly',
    policy: thirds!,
    state: s(US + 666_666),
    now: T0,
    cost: 1,
    expected: {
      allowed: true,
      remaining: 0,
      resetMs: 334,
      retryAfterMs: 0,
      next: s(US + 999_999),
      ttlMs: 1000,
    },
  },
  {
    name: 'bucket: cost 0 on a full bucket reports the whole burst and no wait',
    policy: bucket!,
    state: EMPTY,
    now: T0,
    cost: 0,
    expected: { allowed: true, remaining: 3, resetMs: 0, retryAfterMs: 0, next: s(US), ttlMs: 0 },
  },
  {
    name: 'bucket: a burst smaller than the limit refuses sooner',
    policy: bursty!,
    state: s(US + 500_000),
    now: T0,
    cost: 1,
    expected: {
      allowed: false,
      remaining: 0,
      resetMs: 100,
      retryAfterMs: 100,
      next: s(US + 500_000),
      ttlMs: 500,
    },
  },
]
