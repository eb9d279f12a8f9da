import {
  BriskOptionError,
  parseDuration,
  parseTimerDuration,
  type BriskLogger,
  type BriskMetrics,
  type Duration,
} from '@brisk/core'
import type { CacheStore } from '../store.js'
import type { DataSerializer } from './serializer.js'

/** Options that apply to one call and, set on the cache, to every call by default. */
export interface DataCallOptions {
  /** How long a computed value is fresh. Default `'1m'`. */
  ttl?: Duration
  /** How long past `ttl` a stale value may still be served when the factory fails or times out; `false` or 0 for none. Default 0. */
  grace?: Duration | false
  /** Soft timeout: when a stale value exists and the factory takes longer, return the stale value and let the factory finish in the background. Default none. */
  timeout?: Duration | false
  /** Hard timeout: stop waiting for the factory and reject with `DataCacheTimeoutError`; the factory still finishes and stores its value. Default none. */
  hardTimeout?: Duration | false
  /** Fraction of `ttl` (between 0 and 1, e.g. 0.8) after which a hit refreshes the entry in the background, once per entry; `false` for never. Default never. */
  earlyRefresh?: number | false
  /** Longest a cross-process lock is held, and how long other processes wait for its holder before computing themselves. Default `'5s'`. */
  lockTimeout?: Duration
}

/** Per-call options of `getOrSet` and `set`. */
export interface GetOrSetOptions extends DataCallOptions {
  /** Tags for purging with `deleteByTag` (the response cache tags its entries the same way). */
  tags?: readonly string[]
}

export interface DataCacheOptions extends DataCallOptions {
  /** Where entries live: `memoryStore`, `redisStore`, `tieredStore`, `memcachedStore` or any `CacheStore`. */
  store: CacheStore
  /** Turns values into stored bytes and back. Default `jsonOrV8Serializer` (JSON for plain data, v8 otherwise). */
  serializer?: DataSerializer
  /** Prefix of every key this cache writes, keeping data entries apart from responses in a shared store. Default `'data:'`. */
  prefix?: string
  /** pino-compatible logger for background factory failures and store errors not already logged by a store's guard; `false` silences it. */
  logger?: BriskLogger | false
  /** Counters `data.hit`, `data.miss`, `data.stale`, `data.factoryError`, `data.timeout`. Default: core's shared metrics. */
  metrics?: BriskMetrics
  /** Clock for freshness decisions, epoch ms. Default `Date.now` (tests inject their own). */
  now?: () => number
}

/** Call options with every duration in milliseconds and every default applied. */
export interface ResolvedCallOptions {
  ttl: number
  grace: number
  timeout: number | undefined
  hardTimeout: number | undefined
  earlyRefresh: number | undefined
  lockTimeout: number
  tags: readonly string[]
}

const DEFAULT_TTL_MS = 60_000
const DEFAULT_LOCK_TIMEOUT_MS = 5_000

function positiveDuration(
  value: Duration,
  option: string,
  parse: (value: Duration, option: string) => number = parseDuration,
): number {
  const ms = parse(value, option)
  if (ms <= 0) throw new BriskOptionError(option, value, 'a duration above 0, e.g. "30s"')
  return ms
}

/** An optional duration that becomes a timer: longer than Node keeps, it would fire at once. */
function optionalTimer(value: Duration | false | undefined, fallback: number | undefined, option: string) {
  if (value === undefined) return fallback
  if (value === false) return undefined
  return positiveDuration(value, option, parseTimerDuration)
}

function fraction(value: number | false | undefined, fallback: number | undefined, option: string) {
  if (value === undefined) return fallback
  if (value === false) return undefined
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new BriskOptionError(
      option,
      value,
      'a fraction of the ttl between 0 and 1 (exclusive), e.g. 0.8, or false',
    )
  }
  return value
}

function tagList(value: readonly string[] | undefined, option: string): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new BriskOptionError(option, value, 'an array of non-empty strings')
  }
  return value
}

/**
 * Applies `options` over `base` (the cache's defaults). Validates every field, so a bad
 * per-call option fails that call with a {@link BriskOptionError} naming it.
 */
export function resolveCallOptions(
  options: GetOrSetOptions,
  base: ResolvedCallOptions | undefined,
  fixedTags: readonly string[],
): ResolvedCallOptions {
  const grace = options.grace === false ? 0 : options.grace
  const extraTags = tagList(options.tags, 'tags')
  return {
    ttl: options.ttl === undefined ? (base?.ttl ?? DEFAULT_TTL_MS) : positiveDuration(options.ttl, 'ttl'),
    grace: grace === undefined ? (base?.grace ?? 0) : parseDuration(grace, 'grace'),
    timeout: optionalTimer(options.timeout, base?.timeout, 'timeout'),
    hardTimeout: optionalTimer(options.hardTimeout, base?.hardTimeout, 'hardTimeout'),
    earlyRefresh: fraction(options.earlyRefresh, base?.earlyRefresh, 'earlyRefresh'),
    lockTimeout:
      options.lockTimeout === undefined
        ? (base?.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_MS)
        : positiveDuration(options.lockTimeout, 'lockTimeout'),
    tags: extraTags.length === 0 ? fixedTags : [...fixedTags, ...extraTags],
  }
}

/** Checks the parts of {@link DataCacheOptions} that are not call options. */
export function validateCacheOptions(options: DataCacheOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BriskOptionError('options', options, 'an object with at least a store')
  }
  const store = options.store as Partial<CacheStore> | undefined
  if (
    store === null ||
    typeof store !== 'object' ||
    typeof store.get !== 'function' ||
    typeof store.set !== 'function' ||
    typeof store.delete !== 'function' ||
    typeof store.deleteByTag !== 'function'
  ) {
    throw new BriskOptionError('store', store, 'a CacheStore such as memoryStore() or redisStore({ client })')
  }
  const serializer = options.serializer as Partial<DataSerializer> | undefined
  if (
    serializer !== undefined &&
    (serializer === null ||
      typeof serializer.name !== 'string' ||
      typeof serializer.serialize !== 'function' ||
      typeof serializer.deserialize !== 'function')
  ) {
    throw new BriskOptionError(
      'serializer',
      serializer,
      'an object with name, serialize(value) and deserialize(bytes)',
    )
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new BriskOptionError('prefix', options.prefix, 'a string such as "data:"')
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new BriskOptionError('now', options.now, 'a function returning epoch milliseconds')
  }
}
