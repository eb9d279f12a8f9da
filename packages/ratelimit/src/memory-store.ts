import { BriskOptionError } from '@brisk/core'
import { LRUCache } from 'lru-cache'
import { evaluatePolicies, type Decision, type PolicyOutcome } from './evaluate.js'
import type { Policy } from './policy.js'
import type { PolicyState } from './step.js'
import type { RateLimitStore } from './store.js'

export interface MemoryStoreOptions {
  /** Most keys (clients) tracked at once; the least recently seen is forgotten first. Default 100 000. */
  maxKeys?: number
  /** Clock in epoch milliseconds; inject a fake one in tests. Default `Date.now`. */
  now?: () => number
}

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

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new BriskOptionError('maxKeys', maxKeys, 'a whole number of 1 or more')
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
    let entry = this.entries.get(key)
    if (entry !== undefined && entry.expiresAt <= now) entry = undefined
    const { allowed, steps } = evaluatePolicies(policies, entry === undefined ? [] : entry.states, now, cost)
    const outcomes: PolicyOutcome[] = new Array<PolicyOutcome>(steps.length)
    let ttl = 0
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      outcomes[i] = step
      if (step.ttlMs > ttl) ttl = step.ttlMs
    }
    if (allowed) {
      const states = new Array<PolicyState>(steps.length)
      for (let i = 0; i < steps.length; i++) states[i] = steps[i]!.next
      this.entries.set(key, { states, expiresAt: now + ttl })
    }
    return { allowed, outcomes }
  }

  consume(key: string, policies: readonly Policy[], cost: number): Promise<Decision> {
    return Promise.resolve(this.consumeSync(key, policies, cost))
  }

  reset(key: string): Promise<void> {
    this.entries.delete(key)
    return Promise.resolve()
  }
}

/** An in-process store: see {@link MemoryStore}. */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options)
}
