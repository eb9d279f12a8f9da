import { describe, expect, it } from 'vitest'
import { MemoryStore } from './memory-store.js'
import { compilePolicies } from './policy.js'

const T0 = 1_700_000_000_000

describe('MemoryStore', () => {
  const policies = compilePolicies([{ limit: 3, window: '10s', algorithm: 'fixed-window' }], 'options')

  it('refuses a misspelt option at creation', () => {
    expect(() => new MemoryStore({ maxkeys: 10 } as never)).toThrow(/maxkeys: "unknown".*maxKeys/)
  })

  it('lets exactly the limit through from many concurrent requests of one key', async () => {
    const store = new MemoryStore({ now: () => T0 })
    const decisions = await Promise.all(Array.from({ length: 100 }, () => store.consume('a', policies, 1)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3)
  })

  it('counts keys separately', () => {
    const store = new MemoryStore({ now: () => T0 })
    for (let i = 0; i < 3; i++) store.consumeSync('a', policies, 1)
    expect(store.consumeSync('a', policies, 1).allowed).toBe(false)
    expect(store.consumeSync('b', policies, 1).allowed).toBe(true)
  })

  it('keeps no more keys than maxKeys, forgetting the least recently seen', () => {
    const store = new MemoryStore({ maxKeys: 100, now: () => T0 })
    for (let i = 0; i < 10_000; i++) store.consumeSync(`client-${i}`, policies, 1)
    expect(store.size).toBe(100)
  })

  it('treats an expired entry as absent without any timer', () => {
    let now = T0
    const store = new MemoryStore({ now: () => now })
    for (let i = 0; i < 3; i++) store.consumeSync('a', policies, 1)
    expect(store.consumeSync('a', policies, 1).allowed).toBe(false)
    now = T0 + 10_000
    expect(store.consumeSync('a', policies, 1)).toMatchObject({ allowed: true, outcomes: [{ remaining: 2 }] })
  })

  it('does not store anything for a refused request', () => {
    const store = new MemoryStore({ now: () => T0 })
    expect(store.consumeSync('a', policies, 4).allowed).toBe(false)
    expect(store.size).toBe(0)
  })

  it('forgets a key on reset', async () => {
    const store = new MemoryStore({ now: () => T0 })
    for (let i = 0; i < 3; i++) store.consumeSync('a', policies, 1)
    await store.reset('a', policies)
    expect(store.consumeSync('a', policies, 1).allowed).toBe(true)
  })

  it('keeps separate counters for limiters with different policies sharing the store', () => {
    const store = new MemoryStore({ now: () => T0 })
    const other = compilePolicies(
      [{ limit: 1, window: '10s', algorithm: 'fixed-window', name: 'login' }],
      'options',
    )
    for (let i = 0; i < 3; i++) store.consumeSync('a', policies, 1)
    expect(store.consumeSync('a', other, 1).allowed).toBe(true)
    expect(store.consumeSync('a', other, 1).allowed).toBe(false)
    expect(store.consumeSync('a', policies, 1).allowed).toBe(false)
  })

  it('rejects a maxKeys that is not a positive whole number at creation', () => {
    expect(() => new MemoryStore({ maxKeys: 0 })).toThrow(/maxKeys/)
  })

  it('rejects a maxKeys above ten million before lru-cache preallocates it', () => {
    expect(() => new MemoryStore({ maxKeys: 1e8 })).toThrow(
      /maxKeys: 100000000. Expected a whole number from 1 to 10000000/,
    )
    expect(() => new MemoryStore({ maxKeys: 2 ** 32 })).toThrow(/maxKeys/)
  })
})
