import { createHash } from 'node:crypto'
import {
  admissionMiddleware,
  BriskOptionError,
  refuseUnknownOptions,
  resolveMetrics,
  type Admission,
  type AdmissionMiddleware,
  type BriskHeaders,
  type BriskRequest,
} from '@brisk/core'
import { AllowList } from './allow-list.js'
import { clientKey } from './client-key.js'
import type { Decision } from './evaluate.js'
import { rateLimitField, rateLimitPolicyField, retryAfterSeconds, setLegacyHeaders } from './headers.js'
import { MAX_KEYS_LIMIT, MemoryStore } from './memory-store.js'
import type { RateLimitOptions } from './options.js'
import { compilePolicies, type Policy, type PolicyOptions } from './policy.js'
import { refusal } from './refusal.js'

const SHORTHAND = ['limit', 'window', 'algorithm', 'burst', 'name'] as const
const MAX_KEY_LENGTH = 128

/** Bounded: a huge API key or header value must not become a huge map or Redis key. */
function clientKeyOrDigest(key: string): string {
  return key.length > MAX_KEY_LENGTH ? `#${createHash('sha256').update(key).digest('base64url')}` : key
}

const PASS: Admission = { headers: undefined }

/**
 * The limiter middleware, with a way to forget one client's counters (e.g. after a successful
 * login). It decides everything before the app runs (`admit`), so adapters run the app without
 * capturing its response.
 */
export interface RateLimitMiddleware extends AdmissionMiddleware {
  /** Forgets every counter of `key`: a value the `key` option returns, or else a client address (its IPv6 group is reset). */
  reset(key: string): Promise<void>
}

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof RateLimitOptions>([
  'limit',
  'window',
  'algorithm',
  'burst',
  'name',
  'policies',
  'store',
  'cost',
  'key',
  'ipv6Subnet',
  'skip',
  'allowList',
  'headers',
  'legacyHeaders',
  'message',
  'failure',
  'failureStatus',
  'insurance',
  'insuranceMaxKeys',
  'metrics',
  'now',
])

/**
 * Limits how often each client may call the routes behind it. Every policy must pass; a
 * request refused by one consumes from none. Refused requests get 429 with `Retry-After`;
 * every answer carries the draft `RateLimit` and `RateLimit-Policy` fields.
 */
export function rateLimit(options: RateLimitOptions): RateLimitMiddleware {
  if (options === null || typeof options !== 'object') {
    throw new BriskOptionError('options', options, 'an object such as { limit: 100, window: "1m" }')
  }
  refuseUnknownOptions(options, OPTION_NAMES)
  const policies = compilePolicies(
    policyList(options),
    options.policies === undefined ? 'options' : 'policies',
  )
  const now = optionalFunction(options.now, 'now') ?? Date.now
  // One clock for everything the limiter builds itself, so `now` alone makes a test deterministic.
  const clock = options.now === undefined ? {} : { now }
  const store = options.store ?? new MemoryStore(clock)
  if (typeof store !== 'object' || store === null || typeof store.consume !== 'function') {
    throw new BriskOptionError(
      'store',
      store,
      'a rate limit store such as memoryStore() or redisStore({ client })',
    )
  }
  const cost = options.cost ?? 1
  if (typeof cost !== 'function' && !isCost(cost)) {
    throw new BriskOptionError(
      'cost',
      cost,
      'a whole number of 0 or more, or a function of the request returning one',
    )
  }
  const keyOf = optionalFunction(options.key, 'key')
  const skip = optionalFunction(options.skip, 'skip')
  const ipv6Subnet = options.ipv6Subnet ?? 56
  if (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 1 || ipv6Subnet > 128) {
    throw new BriskOptionError('ipv6Subnet', ipv6Subnet, 'a prefix length from 1 to 128 (e.g. 56 or 64)')
  }
  const allowList = new AllowList(options.allowList ?? [])
  const sendHeaders = booleanOption(options.headers, true, 'headers')
  const legacyHeaders = booleanOption(options.legacyHeaders, false, 'legacyHeaders')
  const message = options.message ?? 'Too Many Requests'
  if (typeof message !== 'string' || message.length > 1024) {
    throw new BriskOptionError('message', message, 'a string of up to 1024 characters')
  }
  const failure = options.failure ?? 'open'
  if (failure !== 'open' && failure !== 'closed')
    throw new BriskOptionError('failure', failure, '"open" or "closed"')
  const failureStatus = options.failureStatus ?? 503
  if (failureStatus !== 429 && failureStatus !== 503) {
    throw new BriskOptionError('failureStatus', failureStatus, '429 or 503')
  }
  const insuranceOn = booleanOption(options.insurance, true, 'insurance')
  const insuranceMaxKeys = options.insuranceMaxKeys ?? 10_000
  if (!Number.isSafeInteger(insuranceMaxKeys) || insuranceMaxKeys < 1 || insuranceMaxKeys > MAX_KEYS_LIMIT) {
    throw new BriskOptionError(
      'insuranceMaxKeys',
      insuranceMaxKeys,
      `a whole number from 1 to ${MAX_KEYS_LIMIT}`,
    )
  }
  // Per process, so N processes let through at most N times the limit while Redis is down.
  const insurance =
    failure === 'open' && insuranceOn && !(store instanceof MemoryStore)
      ? new MemoryStore({ ...clock, maxKeys: insuranceMaxKeys })
      : undefined
  // The memory store answers synchronously: calling it directly saves a promise per request.
  const memory = store instanceof MemoryStore ? store : undefined
  const metrics = resolveMetrics(options.metrics)
  const policyField = rateLimitPolicyField(policies)

  const decorate = (headers: Record<string, string | string[] | undefined>, decision: Decision): void => {
    if (sendHeaders) {
      headers['ratelimit-policy'] = policyField
      headers.ratelimit = rateLimitField(policies, decision.outcomes)
    }
    if (legacyHeaders) setLegacyHeaders(headers, policies, decision.outcomes, now())
  }

  const keyFor = (req: BriskRequest, key: unknown): string =>
    // A key function that returns nothing usable counts the client by address instead.
    typeof key === 'string' ? clientKeyOrDigest(key) : clientKey(req.clientAddress, ipv6Subnet)

  const admitted = (decision: Decision): Admission => {
    metrics.inc('ratelimit.allowed')
    if (!sendHeaders && !legacyHeaders) return PASS
    const headers: BriskHeaders = {}
    decorate(headers, decision)
    return { headers }
  }

  const refused = (req: BriskRequest, decision: Decision, units: number): Admission => {
    metrics.inc('ratelimit.limited')
    // No wait lets through a request that costs more than a refusing policy can ever hold:
    // a Retry-After would only invite the client to send it again (RFC 9110 §10.2.3: MAY).
    const headers: BriskHeaders = exceedsCapacity(policies, decision, units)
      ? {}
      : { 'retry-after': String(retryAfterSeconds(decision.outcomes)) }
    decorate(headers, decision)
    const violated = violatedPolicies(policies, decision)
    return { response: refusal(req, 429, 'quota-exceeded', message, violated, headers) }
  }

  const storeFailed = (req: BriskRequest, key: string, units: number): Admission => {
    // The store logged the incident once (BackendGuard); here only the policy applies.
    if (failure === 'closed') {
      metrics.inc('ratelimit.limited')
      const text = failureStatus === 429 ? message : 'Service Unavailable'
      const headers = { 'retry-after': '1' }
      return { response: refusal(req, failureStatus, 'temporary-reduced-capacity', text, [], headers) }
    }
    if (insurance === undefined) return PASS
    return settle(req, insurance.consumeSync(key, policies, units), units)
  }

  const settle = (req: BriskRequest, decision: Decision, units: number): Admission =>
    decision.allowed ? admitted(decision) : refused(req, decision, units)

  const consume = (req: BriskRequest, key: string): Admission | Promise<Admission> => {
    let units = typeof cost === 'number' ? cost : cost(req)
    if (!isCost(units)) units = 1
    if (memory !== undefined) return settle(req, memory.consumeSync(key, policies, units), units)
    return store.consume(key, policies, units).then(
      (decision) => settle(req, decision, units),
      () => storeFailed(req, key, units),
    )
  }

  // Synchronous whenever the key and the store are (the memory store): no promise per request.
  const admit = (req: BriskRequest): Admission | Promise<Admission> => {
    // A refresh brisk itself sends through the app (stale-while-revalidate) is not a client's.
    if (req.hints.refresh === true) return PASS
    if (skip !== undefined && skip(req) === true) return PASS
    if (!allowList.empty && allowList.has(req.clientAddress)) return PASS
    if (keyOf === undefined) return consume(req, clientKey(req.clientAddress, ipv6Subnet))
    const key = keyOf(req)
    if (typeof key === 'string' || key === undefined || key === null) return consume(req, keyFor(req, key))
    return Promise.resolve(key).then((resolved) => consume(req, keyFor(req, resolved)))
  }

  const reset = (key: string): Promise<void> => {
    // Without a key function, counters are per address group: reset the group of `key`.
    const stored = keyOf === undefined ? clientKey(key, ipv6Subnet) : clientKeyOrDigest(key)
    return Promise.all([store.reset(stored, policies), insurance?.reset(stored, policies)]).then(
      () => undefined,
    )
  }
  return admissionMiddleware(admit, { reset })
}

function policyList(options: RateLimitOptions): PolicyOptions[] {
  if (options.policies !== undefined) {
    for (const field of SHORTHAND) {
      if (options[field] !== undefined) {
        throw new BriskOptionError(
          field,
          options[field],
          `no ${field} beside policies: put it inside each policy`,
        )
      }
    }
    return options.policies
  }
  if (options.limit === undefined || options.window === undefined) {
    throw new BriskOptionError(
      options.limit === undefined ? 'limit' : 'window',
      undefined,
      'limit and window (e.g. { limit: 100, window: "1m" }), or policies: [...]',
    )
  }
  const policy: PolicyOptions = { limit: options.limit, window: options.window }
  if (options.algorithm !== undefined) policy.algorithm = options.algorithm
  if (options.burst !== undefined) policy.burst = options.burst
  if (options.name !== undefined) policy.name = options.name
  return [policy]
}

function violatedPolicies(policies: readonly Policy[], decision: Decision): string[] {
  const violated: string[] = []
  for (let i = 0; i < policies.length; i++) {
    if (!decision.outcomes[i]!.allowed) violated.push(policies[i]!.name)
  }
  return violated
}

/** Whether a policy that refused the request could not hold its cost even when full. */
function exceedsCapacity(policies: readonly Policy[], decision: Decision, units: number): boolean {
  for (let i = 0; i < policies.length; i++) {
    if (!decision.outcomes[i]!.allowed && units > policies[i]!.burst) return true
  }
  return false
}

function isCost(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function booleanOption(value: boolean | undefined, fallback: boolean, option: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new BriskOptionError(option, value, 'true or false')
  return value
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
function optionalFunction<F extends Function>(value: F | undefined, option: string): F | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new BriskOptionError(option, value, 'a function')
  return value
}
