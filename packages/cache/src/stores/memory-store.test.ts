import { BriskOptionError } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import type { StoreEntry } from '../store.js'
import { memoryStore } from './memory-store.js'

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

function fakeClock(start = 1_000) {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('memoryStore', () => {
  it('returns the stored entry object itself, so a hit copies nothing', async () => {
    const store = memoryStore()
    // A body that owns its memory (not a view into Node's pool) is kept as given.
    const body = Buffer.allocUnsafeSlow(256)
    allBytes.copy(body)
    const entry: StoreEntry = { meta: { status: 200, headers: { 'content-type': 'text/plain' } }, body }
    await store.set('k', entry, { ttl: 60_000 })
    expect(await store.get('k')).toBe(entry)
    expect(await store.get('k')).toBe(await store.get('k'))
  })

  it("keeps a body that is a view into a larger buffer as its own copy, so it cannot pin Node's pool", async () => {
    const store = memoryStore()
    // Buffer.from of a short string is a slice of a shared 8 KB slab; a subarray views its parent.
    const pooled = Buffer.from('a short body')
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength)
    const parent = Buffer.alloc(64 * 1024, 7)
    const view = parent.subarray(100, 200)
    await store.set('pooled', { meta: { a: 1 }, body: pooled }, { ttl: 60_000, tags: ['t'] })
    await store.set('view', { meta: {}, body: view }, { ttl: 60_000 })
    const kept = await store.get('pooled')
    expect(kept?.body.equals(pooled)).toBe(true)
    expect(kept?.body.buffer.byteLength).toBe(pooled.byteLength)
    expect(kept?.meta).toEqual({ a: 1 })
    const keptView = await store.get('view')
    expect(keptView?.body.buffer.byteLength).toBe(100)
    // A copy: later writes to the parent do not reach the stored bytes.
    parent.fill(9)
    expect(keptView?.body.every((byte) => byte === 7)).toBe(true)
    expect(await store.deleteByTag('t')).toBe(1)
  })

  it('keeps an empty body and all 256 byte values', async () => {
    const store = memoryStore()
    await store.set('empty', { meta: {}, body: Buffer.alloc(0) }, { ttl: 60_000 })
    await store.set('bytes', { meta: {}, body: allBytes }, { ttl: 60_000 })
    expect((await store.get('empty'))?.body.length).toBe(0)
    expect((await store.get('bytes'))?.body.equals(allBytes)).toBe(true)
  })

  it('answers undefined for a key it never stored', async () => {
    expect(await memoryStore().get('nope')).toBeUndefined()
  })

  it('peeks at an entry synchronously, with the same answer and expiry as get', async () => {
    const clock = fakeClock()
    const store = memoryStore({ clock })
    const entry: StoreEntry = { meta: { status: 200 }, body: Buffer.allocUnsafeSlow(4) }
    expect(store.peek('k')).toBeUndefined()
    await store.set('k', entry, { ttl: 1_000 })
    expect(store.peek('k')).toBe(await store.get('k'))
    clock.advance(1_001)
    expect(store.peek('k')).toBeUndefined()
  })

  it('drops an entry once its TTL has passed', async () => {
    const clock = fakeClock()
    const store = memoryStore({ clock })
    await store.set('k', { meta: {}, body: Buffer.from('x') }, { ttl: 100 })
    clock.advance(99)
    expect(await store.get('k')).toBeDefined()
    clock.advance(2)
    expect(await store.get('k')).toBeUndefined()
  })

  it('keeps each entry for its own TTL', async () => {
    const clock = fakeClock()
    const store = memoryStore({ clock })
    await store.set('short', { meta: {}, body: Buffer.from('s') }, { ttl: 10 })
    await store.set('long', { meta: {}, body: Buffer.from('l') }, { ttl: 1_000 })
    clock.advance(500)
    expect(await store.get('short')).toBeUndefined()
    expect(await store.get('long')).toBeDefined()
  })

  it('keeps an entry with an infinite TTL until it is evicted or deleted', async () => {
    const clock = fakeClock()
    const store = memoryStore({ clock })
    await store.set('forever', { meta: {}, body: Buffer.from('x') }, { ttl: Infinity })
    clock.advance(365 * 24 * 3600 * 1000)
    expect(await store.get('forever')).toBeDefined()
  })

  it('treats a TTL of zero or less as "do not keep" and removes the old value', async () => {
    const store = memoryStore()
    await store.set('k', { meta: {}, body: Buffer.from('old') }, { ttl: 60_000 })
    await store.set('k', { meta: {}, body: Buffer.from('new') }, { ttl: 0 })
    expect(await store.get('k')).toBeUndefined()
  })

  it('stays under its byte bound while thousands of entries are written', async () => {
    const maxSize = 256 * 1024
    const store = memoryStore({ maxSize })
    const body = Buffer.alloc(1000, 1)
    for (let i = 0; i < 5_000; i++) {
      await store.set(`key:${i}`, { meta: { status: 200, i }, body }, { ttl: 60_000, tags: [`t${i % 10}`] })
      expect(store.size).toBeLessThanOrEqual(maxSize)
    }
    // 1000-byte bodies plus overhead: far fewer than 5000 fit, and the newest survive.
    expect(store.entries).toBeLessThan(256)
    expect(store.entries).toBeGreaterThan(100)
    expect(await store.get('key:4999')).toBeDefined()
    expect(await store.get('key:0')).toBeUndefined()
  })

  it('counts metadata and keys, not only bodies, against the bound', async () => {
    const store = memoryStore({ maxSize: 64 * 1024 })
    const bigMeta = { headers: { 'x-filler': 'v'.repeat(2_000) } }
    for (let i = 0; i < 1_000; i++)
      await store.set(`k${i}`, { meta: bigMeta, body: Buffer.alloc(0) }, { ttl: 60_000 })
    // Each entry holds ~4 KB of UTF-16 metadata: only about 16 fit in 64 KB.
    expect(store.entries).toBeLessThanOrEqual(16)
  })

  it('does not store an entry larger than maxEntrySize and keeps the others', async () => {
    const store = memoryStore({ maxSize: '1 MB', maxEntrySize: '10 KB' })
    await store.set('small', { meta: {}, body: Buffer.alloc(100) }, { ttl: 60_000 })
    await store.set('huge', { meta: {}, body: Buffer.alloc(20 * 1024) }, { ttl: 60_000 })
    expect(await store.get('huge')).toBeUndefined()
    expect(await store.get('small')).toBeDefined()
  })

  it('removes every entry with a tag, and only those', async () => {
    const store = memoryStore()
    const body = Buffer.from('b')
    await store.set('a', { meta: {}, body }, { ttl: 60_000, tags: ['post:1', 'list'] })
    await store.set('b', { meta: {}, body }, { ttl: 60_000, tags: ['post:2', 'list'] })
    await store.set('c', { meta: {}, body }, { ttl: 60_000, tags: ['post:1'] })
    expect(await store.deleteByTag('post:1')).toBe(2)
    expect(await store.get('a')).toBeUndefined()
    expect(await store.get('c')).toBeUndefined()
    expect(await store.get('b')).toBeDefined()
    expect(await store.deleteByTag('post:1')).toBe(0)
    expect(await store.deleteByTag('list')).toBe(1)
  })

  it('forgets the tags of a replaced entry', async () => {
    const store = memoryStore()
    await store.set('k', { meta: { v: 1 }, body: Buffer.from('1') }, { ttl: 60_000, tags: ['old'] })
    await store.set('k', { meta: { v: 2 }, body: Buffer.from('2') }, { ttl: 60_000, tags: ['new'] })
    expect(await store.deleteByTag('old')).toBe(0)
    expect((await store.get('k'))?.meta).toEqual({ v: 2 })
    expect(await store.deleteByTag('new')).toBe(1)
  })

  it('keeps a tag when an entry is replaced with the same tag', async () => {
    const store = memoryStore()
    await store.set('k', { meta: {}, body: Buffer.from('1') }, { ttl: 60_000, tags: ['t'] })
    await store.set('k', { meta: {}, body: Buffer.from('2') }, { ttl: 60_000, tags: ['t'] })
    expect(await store.deleteByTag('t')).toBe(1)
    expect(await store.get('k')).toBeUndefined()
  })

  it('cleans the tag index when entries are evicted, so it does not grow without bound', async () => {
    const store = memoryStore({ maxSize: 16 * 1024 })
    for (let i = 0; i < 2_000; i++) {
      await store.set(`k${i}`, { meta: {}, body: Buffer.alloc(500) }, { ttl: 60_000, tags: [`unique:${i}`] })
    }
    // Tags of evicted entries are gone: purging one removes nothing.
    expect(await store.deleteByTag('unique:0')).toBe(0)
    expect(await store.deleteByTag('unique:1999')).toBe(1)
  })

  it('cleans the tag index when an expired entry is reclaimed', async () => {
    const clock = fakeClock()
    const store = memoryStore({ clock })
    await store.set('k', { meta: {}, body: Buffer.from('x') }, { ttl: 10, tags: ['t'] })
    clock.advance(20)
    expect(await store.get('k')).toBeUndefined()
    expect(await store.deleteByTag('t')).toBe(0)
  })

  it('is not affected when the caller mutates the tags array after set', async () => {
    const store = memoryStore()
    const tags = ['t']
    await store.set('k', { meta: {}, body: Buffer.from('x') }, { ttl: 60_000, tags })
    tags[0] = 'other'
    expect(await store.deleteByTag('t')).toBe(1)
  })

  it('deletes one key', async () => {
    const store = memoryStore()
    await store.set('k', { meta: {}, body: Buffer.from('x') }, { ttl: 60_000, tags: ['t'] })
    await store.delete('k')
    expect(await store.get('k')).toBeUndefined()
    expect(await store.deleteByTag('t')).toBe(0)
  })

  it('clears everything', async () => {
    const store = memoryStore()
    await store.set('a', { meta: {}, body: Buffer.from('x') }, { ttl: 60_000, tags: ['t'] })
    await store.clear()
    expect(await store.get('a')).toBeUndefined()
    expect(store.size).toBe(0)
    expect(await store.deleteByTag('t')).toBe(0)
  })

  it.each<[string, object, RegExp]>([
    ['a negative maxSize', { maxSize: -1 }, /maxSize/],
    ['a zero maxSize', { maxSize: 0 }, /maxSize/],
    ['an unknown unit', { maxSize: '64 parsecs' }, /maxSize/],
    ['maxEntrySize above maxSize', { maxSize: '1 KB', maxEntrySize: '2 KB' }, /maxEntrySize/],
    ['a clock without now()', { clock: {} }, /clock/],
  ])('refuses %s at creation', (_what, options, message) => {
    expect(() => memoryStore(options)).toThrow(BriskOptionError)
    expect(() => memoryStore(options)).toThrow(message)
  })
})
