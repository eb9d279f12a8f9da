/**
 * A flood of distinct limiter keys (spoofed addresses, random API keys) cannot grow the
 * memory store past its LRU bound, and the limiter still counts the clients it tracks.
 */
import { compilePolicies, memoryStore, rateLimit } from '@brisk/ratelimit'
import type { BriskRequest, BriskResponse } from '@brisk/core'
import { describe, expect, it } from 'vitest'

describe('limiter keys under a flood', () => {
  it('tracks at most maxKeys of 1,000,000 distinct keys sent straight to the memory store', () => {
    const store = memoryStore({ maxKeys: 100_000 })
    const policies = compilePolicies([{ limit: 5, window: '1m' }], 'policies')
    let largest = 0
    for (let i = 0; i < 1_000_000; i++) {
      const decision = store.consumeSync(`client-${i}`, policies, 1)
      if (!decision.allowed) throw new Error(`first request of client-${i} was refused`)
      if ((i & 0x3fff) === 0) largest = Math.max(largest, store.size)
    }
    largest = Math.max(largest, store.size)
    expect(largest).toBe(100_000)
  })

  it('still limits a client it tracks while unseen keys stream past', () => {
    const store = memoryStore({ maxKeys: 1000 })
    const policies = compilePolicies([{ limit: 3, window: '1m' }], 'policies')
    const verdicts: boolean[] = []
    for (let i = 0; i < 50_000; i++) {
      store.consumeSync(`noise-${i}`, policies, 1)
      // The attacker's key is seen often enough to stay among the most recent.
      if (i % 100 === 0) verdicts.push(store.consumeSync('attacker', policies, 1).allowed)
    }
    expect(verdicts.filter(Boolean)).toHaveLength(3)
    expect(store.size).toBeLessThanOrEqual(1000)
  })

  it('digests huge keys from a key function and keeps the store bounded', async () => {
    const store = memoryStore({ maxKeys: 500 })
    let n = 0
    const limiter = rateLimit({ limit: 1, window: '1m', store, key: () => `${'k'.repeat(16 * 1024)}${n++}` })
    const ok = async (): Promise<BriskResponse> => ({ status: 200, headers: {}, body: null })
    const req = (): BriskRequest => ({
      method: 'GET',
      url: '/',
      headers: {},
      clientAddress: '192.0.2.1',
      hints: {},
    })
    for (let i = 0; i < 5000; i++) expect((await limiter(req(), ok)).status).toBe(200)
    expect(store.size).toBe(500)
  })
})
