import {
  BriskOptionError,
  MAX_DURATION_MS,
  parseDuration,
  refuseUnknownOptions,
  type Duration,
} from '@brisk/core'

/** How a policy counts requests. `token-bucket` and `gcra` are the same algorithm. */
export type Algorithm = 'fixed-window' | 'sliding-window' | 'token-bucket' | 'gcra'

/** One limit that every request must pass, e.g. 10 per second with a burst of 20. */
export interface PolicyOptions {
  /** Requests (or cost units) allowed per window. */
  limit: number
  /** Length of the window, e.g. `'1m'` or `60_000`. */
  window: Duration
  /** Counting algorithm. Default `'sliding-window'`. */
  algorithm?: Algorithm
  /** Token bucket only: how many units may be spent at once. Default `limit`. */
  burst?: number
  /** Name in the `RateLimit` and `RateLimit-Policy` fields and in the Redis key. Default `"default"` for one policy, `"<limit>-per-<seconds>s"` otherwise. */
  name?: string
}

/** Numeric algorithm codes: the Lua script and the TypeScript mirror dispatch on the same ones. */
export const FIXED_WINDOW = 1
export const SLIDING_WINDOW = 2
export const GCRA = 3
export type AlgorithmCode = typeof FIXED_WINDOW | typeof SLIDING_WINDOW | typeof GCRA

/** A validated policy, with everything the hot path needs computed once. */
export interface Policy {
  readonly name: string
  readonly algorithm: AlgorithmCode
  readonly limit: number
  /** Window in whole milliseconds (> 0). */
  readonly windowMs: number
  /** Token bucket capacity in units (fixed and sliding windows: equal to `limit`). */
  readonly burst: number
  /**
   * Token bucket emission interval in whole microseconds: the bucket keeps integer time so
   * that TypeScript and Lua agree to the unit and `limit` requests in a burst pass exactly
   * (with fractional milliseconds, three additions of 333.33… ms are not 1000 ms).
   */
  readonly intervalUs: number
  /** This policy's member of the `RateLimit-Policy` list, e.g. `"default";q=100;w=60`. */
  readonly policyItem: string
  /** `"name";r=` prefix of this policy's member of the `RateLimit` list. */
  readonly limitItemPrefix: string
}

const ALGORITHMS: Record<Algorithm, AlgorithmCode> = {
  'fixed-window': FIXED_WINDOW,
  'sliding-window': SLIDING_WINDOW,
  'token-bucket': GCRA,
  gcra: GCRA,
}

// Names become an sf-string (RFC 9651 §3.3.3) and part of a Redis key: printable ASCII
// without quote, backslash or braces (braces would change the Redis Cluster hash tag).
const NAME_PATTERN = /^[\x20-\x21\x23-\x5b\x5d-\x7a\x7c\x7e]{1,64}$/

/**
 * The largest quota the fields can carry: `q` and `r` are RFC 9651 Integers, at most 15 digits
 * (§3.3.1); a larger value (say `Number.MAX_SAFE_INTEGER` meant as "unlimited") would make a
 * client's parser reject the whole field.
 */
const MAX_QUOTA = 999_999_999_999_999
const POLICY_OPTION_NAMES: ReadonlySet<string> = new Set<keyof PolicyOptions>([
  'limit',
  'window',
  'algorithm',
  'burst',
  'name',
])
/** The shortest emission interval of a token bucket: see compilePolicies. */
const MIN_INTERVAL_US = 100

/** Validates policy options once, at creation; throws {@link BriskOptionError}. */
export function compilePolicies(list: readonly PolicyOptions[], option: string): Policy[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new BriskOptionError(option, list, 'at least one policy ({ limit, window })')
  }
  const policies: Policy[] = []
  const names = new Set<string>()
  for (const [index, options] of list.entries()) {
    const at = list.length === 1 && option !== 'policies' ? '' : `${option}[${index}].`
    if (options === null || typeof options !== 'object') {
      throw new BriskOptionError(`${option}[${index}]`, options, 'an object { limit, window }')
    }
    refuseUnknownOptions(options, POLICY_OPTION_NAMES, at)
    const limit = options.limit
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUOTA) {
      throw new BriskOptionError(`${at}limit`, limit, `a whole number from 1 to ${MAX_QUOTA}`)
    }
    const windowMs = parseDuration(options.window, `${at}window`)
    if (!Number.isSafeInteger(windowMs) || windowMs < 1000) {
      // RateLimit-Policy's w is whole seconds, non-zero (draft §3.1.3).
      throw new BriskOptionError(
        `${at}window`,
        options.window,
        'a duration from 1 second to 10 years (3650d), in whole milliseconds',
      )
    }
    const algorithmName: Algorithm = options.algorithm ?? 'sliding-window'
    const algorithm = Object.hasOwn(ALGORITHMS, algorithmName) ? ALGORITHMS[algorithmName] : undefined
    if (algorithm === undefined) {
      throw new BriskOptionError(
        `${at}algorithm`,
        algorithmName,
        '"fixed-window", "sliding-window", "token-bucket" or "gcra"',
      )
    }
    const burst = options.burst ?? limit
    if (
      options.burst !== undefined &&
      (algorithm !== GCRA || !Number.isSafeInteger(burst) || burst < 1 || burst > MAX_QUOTA)
    ) {
      throw new BriskOptionError(
        `${at}burst`,
        options.burst,
        algorithm === GCRA
          ? `a whole number from 1 to ${MAX_QUOTA}`
          : 'no burst: only "token-bucket" has one',
      )
    }
    const windowUs = windowMs * 1000
    const intervalUs = Math.max(1, Math.round(windowUs / limit))
    if (algorithm === GCRA && windowUs / limit < MIN_INTERVAL_US) {
      // The bucket drips one unit per whole-microsecond interval (exact in TypeScript and Lua
      // alike); below 100 µs the rounding of window / limit would skew the refill rate by more
      // than 0.5 % (at 1.67 µs, 600 000 a second refilled as 500 000).
      throw new BriskOptionError(
        `${at}limit`,
        limit,
        `for "token-bucket", at most ${Math.floor(windowUs / MIN_INTERVAL_US)} per ${windowMs / 1000} s window ` +
          '(10 000 units a second; count larger units, or use "fixed-window" or "sliding-window")',
      )
    }
    // The longest a bucket may take to fill is the longest duration (10 years): the bucket
    // counts in microseconds from the epoch (1.8e15 now) and its arithmetic reaches now plus
    // twice the fill time, which must stay below 2^53 (9.0e15) to be exact in TS and Lua alike.
    if (algorithm === GCRA && burst * intervalUs > MAX_DURATION_MS * 1000) {
      throw new BriskOptionError(
        `${at}burst`,
        burst,
        `for "token-bucket", a bucket that refills within 10 years: burst × window / limit ` +
          `at most 3650d (here at most ${Math.floor((MAX_DURATION_MS * 1000) / intervalUs)})`,
      )
    }
    const windowSeconds = Math.ceil(windowMs / 1000)
    const name = options.name ?? (list.length === 1 ? 'default' : `${limit}-per-${windowSeconds}s`)
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new BriskOptionError(
        `${at}name`,
        name,
        '1 to 64 printable ASCII characters without ", \\, { or }',
      )
    }
    if (names.has(name)) throw new BriskOptionError(`${at}name`, name, 'a name no other policy uses')
    names.add(name)
    policies.push({
      name,
      algorithm,
      limit,
      windowMs,
      burst,
      intervalUs,
      policyItem: `"${name}";q=${limit};w=${windowSeconds}`,
      limitItemPrefix: `"${name}";r=`,
    })
  }
  return policies
}
