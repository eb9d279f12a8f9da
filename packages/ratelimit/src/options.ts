import type { BriskMetrics, BriskRequest, Duration } from '@brisk/core'
import type { Algorithm, PolicyOptions } from './policy.js'
import type { RateLimitStore } from './store.js'

/** What happens when the store (Redis) fails or is slower than its timeout. */
export type FailurePolicy = 'open' | 'closed'

export interface RateLimitOptions {
  /** Shorthand for one policy: units allowed per `window`. Use `policies` for several. */
  limit?: number
  /** Shorthand for one policy: the window, e.g. `'1m'`. */
  window?: Duration
  /** Shorthand for one policy: `'sliding-window'` (default), `'fixed-window'`, `'token-bucket'` (= `'gcra'`). */
  algorithm?: Algorithm
  /** Shorthand for one policy: token bucket capacity. Default `limit`. */
  burst?: number
  /** Shorthand for one policy: its name in the RateLimit fields. Default `"default"`. */
  name?: string
  /** Several policies that must all pass, e.g. `[{ limit: 10, window: '1s' }, { limit: 1000, window: '1h' }]`. */
  policies?: PolicyOptions[]
  /** Where counters live. Default a per-process `memoryStore()`; `redisStore({ client })` to share them. */
  store?: RateLimitStore
  /** Units a request costs: a whole number, or a function of the request (e.g. heavier for uploads). Default 1. */
  cost?: number | ((req: BriskRequest) => number)
  /** Whom to count: default the client address (IPv6 grouped by `ipv6Subnet`); return a user ID or API key instead. */
  key?: (req: BriskRequest) => string | Promise<string>
  /** IPv6 prefix length that counts as one client for the default key. Default 56. */
  ipv6Subnet?: number
  /** Requests for which this returns true pass uncounted (e.g. health checks). */
  skip?: (req: BriskRequest) => boolean
  /** Client addresses or CIDR ranges that pass uncounted. */
  allowList?: string[]
  /** Send `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-11). Default true. */
  headers?: boolean
  /** Also send `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds). Default false. */
  legacyHeaders?: boolean
  /** Text of a 429 (plain body, or the problem `title` for JSON clients). Default `Too Many Requests`. */
  message?: string
  /** When the store fails: `'open'` lets requests through (default), `'closed'` refuses them. */
  failure?: FailurePolicy
  /** Status sent while failing closed: 503 (default) or 429. */
  failureStatus?: 429 | 503
  /** While failing open, limit each process with an in-memory copy of the policies so abuse stays bounded. Default true. */
  insurance?: boolean
  /** Most keys the insurance limiter tracks. Default 10 000. */
  insuranceMaxKeys?: number
  /** Counters `ratelimit.allowed` and `ratelimit.limited`. Default core's `defaultMetrics`. */
  metrics?: BriskMetrics
  /** Clock in epoch ms of the default memory store, the insurance limiter and `X-RateLimit-Reset`. Default `Date.now`. */
  now?: () => number
}
