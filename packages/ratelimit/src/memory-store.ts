import { BriskOptionError, refuseUnknownOptions } from '@brisk/core'
import { LRUCache } from 'lru-cache'
import { evaluatePolicies, type Decision } from './evaluate.js'
import type { Policy } from './policy.js'
import type { PolicyState } from './step.js'
import type { RateLimitStore } from './store.js'

// lru-cache allocates its slot arrays for `max` up front: 1e8 took 23 s and 1.6 GB at creation
// and values near 2^31 exhausted the heap, so the bound is checked here. Ten million keys is far
// beyond what one process should track for a limiter.
export const MAX_KEYS_LIMIT = 10_000_000

export interface MemoryStoreOptions {
  /** Most keys (clients) tracked at once; the least recently seen is forgotten first. Default 100 000. */
  maxKeys?: number
  /** Clock in epoch milliseconds; inject a fake one in tests. Default `Date.now`. */
  now?: () => number
}

const MEMORY_STORE_OPTION_NAMES: ReadonlySet<string> = new Set<keyof MemoryStoreOptions>(['maxKeys', 'now'])

interface Entry {
  /** One state per policy, in policy order. */
  states: PolicyState[]
  /** Epoch ms after which every state is spent and the entry may go. */
  expiresAt: number
}

/**
 * Counters in this process only. Bounded by an LRU on keys, so a flood of distinct clients
 * (or spoofed addresses) evicts old entries instead of growing memory. Expired entries are
 * dropped lazily when read or evicted (lru-cache without `ttlAutopurge`), so there is no timer
 * per key. Synchronous inside, hence atomic per process.
 */
export class MemoryStore implements RateLimitStore {
  readonly name = 'memory'
  private readonly entries: LRUCache<string, Entry>
  private readonly now: () => number
  /** Per policy list, a short key prefix standing for its policies (see {@link prefix}). */
  private readonly prefixes = new WeakMap<readonly Policy[], string>()
  /** Prefixes by the policies they stand for: identical policy lists share counters. */
  private readonly prefixByPolicies = new Map<string, string>()

  constructor(options: MemoryStoreOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new BriskOptionError('options', options, 'an object such as { maxKeys: 100000 }')
    }
    refuseUnknownOptions(options, MEMORY_STORE_OPTION_NAMES)
    const maxKeys = options.maxKeys ?? 100_000
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_KEYS_LIMIT) {
      throw new BriskOptionError('maxKeys', maxKeys, `a whole number from 1 to ${MAX_KEYS_LIMIT}`)
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new BriskOptionError('now', options.now, 'a function returning epoch milliseconds')
    }
    this.now = options.now ?? Date.now
    this.entries = new LRUCache<string, Entry>({ max: maxKeys })
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.entries.size
  }

  consumeSync(key: string, policies: readonly Policy[], cost: number): Decision {
    const now = this.now()
    const entryKey = this.prefix(policies) + key
    let entry = this.entries.get(entryKey)
    if (entry !== undefined && entry.expiresAt <= now) entry = undefined
    const { allowed, steps } = evaluatePolicies(policies, entry === undefined ? [] : entry.states, now, cost)
    let ttl = 0
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      if (step.ttlMs > ttl) ttl = step.ttlMs
    }
    if (allowed) {
      if (entry !== undefined) {
        // Already the most recent entry (get() moved it): update in place.
        for (let i = 0; i < steps.length; i++) entry.states[i] = steps[i]!.next
        entry.expiresAt = now + ttl
      } else {
        const states = new Array<PolicyState>(steps.length)
        for (let i = 0; i < steps.length; i++) states[i] = steps[i]!.next
        this.entries.set(entryKey, { states, expiresAt: now + ttl })
      }
    }
    // Steps are outcomes with more fields: no copy.
    return { allowed, outcomes: steps }
  }

  consume(key: string, policies: readonly Policy[], cost: number): Promise<Decision> {
    return Promise.resolve(this.consumeSync(key, policies, cost))
  }

  reset(key: string, policies: readonly Policy[]): Promise<void> {
    this.entries.delete(this.prefix(policies) + key)
    return Promise.resolve()
  }

  /**
   * Two limiters sharing this store keep separate counters unless their policies are the
   * same (same names and parameters), exactly as with the Redis store. The prefix is a short
   * number standing for the policies rather than their description: the key is built per
   * request and the LRU's map hashes all of it (a 60-character key cost ~180 ns, measured).
   */
  private prefix(policies: readonly Policy[]): string {
    let prefix = this.prefixes.get(policies)
    if (prefix === undefined) {
      const described = policies
        .map((p) => `${p.name}:${p.algorithm}:${p.limit}:${p.windowMs}:${p.burst}`)
        .join('|')
      prefix = this.prefixByPolicies.get(described)
      if (prefix === undefined) {
        prefix = `${this.prefixByPolicies.size}\n`
        this.prefixByPolicies.set(described, prefix)
      }
      this.prefixes.set(policies, prefix)
    }
    return prefix
  }
}

/** An in-process store: see {@link MemoryStore}. */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options)
}
