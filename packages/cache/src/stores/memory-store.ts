import { BriskOptionError, parseSize, type Size } from '@brisk/core'
import { LRUCache } from 'lru-cache'
import type { CacheStore, StoreEntry, StoreSetOptions } from '../store.js'
import { estimateEntrySize } from './entry-size.js'

export interface MemoryStoreOptions {
  /** Upper bound of the memory the entries hold (bodies, keys, an estimate of metadata). Default `'64 MB'`. */
  maxSize?: Size
  /** Largest single entry kept; a bigger one is not stored. Default: a quarter of `maxSize`. */
  maxEntrySize?: Size
  /** Time source in milliseconds for TTLs (default `performance`); tests pass a fake one. */
  clock?: { now(): number }
}

/** What the LRU keeps per key: the caller's entry (or a copy owning its bytes), and the tags it was indexed under. */
interface MemoryRecord {
  readonly entry: StoreEntry
  readonly tags: readonly string[] | undefined
}

const DEFAULT_MAX_SIZE = '64 MB'

/** The in-process store; also what {@link tieredStore} uses as its first tier. */
export interface MemoryStore extends CacheStore {
  readonly name: 'memory'
  /** Bytes currently accounted for (≤ the configured `maxSize`). */
  readonly size: number
  /** Entries currently kept, including expired ones not yet reclaimed. */
  readonly entries: number
  peek(key: string): StoreEntry | undefined
}

/**
 * The entry as kept: itself when its body owns its memory, otherwise the same entry with the
 * body copied into a Buffer of its own. A body under 4 KB made by `Buffer.from(string)` (Koa's
 * string bodies, the data cache's JSON) is a view into one of Node's shared 8 KB pool slabs,
 * and a view keeps its whole slab alive: measured with bench/src/store-memory-probe.ts (Node 20,
 * 20k entries, four short-lived pooled Buffers made beside each, as a server does), a 100 B body
 * held 1,557 B of ArrayBuffer and a 1,000 B body 4,089 B, none of it accounted. A view into any
 * larger buffer (a socket read, a frame) would pin that buffer the same way.
 */
function ownBytes(entry: StoreEntry): StoreEntry {
  const body = entry.body
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return entry
  const copy = Buffer.allocUnsafeSlow(body.byteLength)
  body.copy(copy)
  return { ...entry, body: copy }
}

/**
 * An in-process LRU store bounded in bytes (lru-cache), with a TTL per entry and a tag index
 * (tag → keys) kept exact by lru-cache's insert and dispose hooks, so that eviction, expiry,
 * replacement and deletion all clean it and `deleteByTag` touches only the tagged keys.
 * `get` returns the stored entry object itself: a hit copies nothing. `set` keeps the caller's
 * entry as is when its body owns its memory, and a copy with its own bytes when the body is a
 * view into a larger buffer (see {@link ownBytes}).
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxSize = parseSize(options.maxSize ?? DEFAULT_MAX_SIZE, 'maxSize')
  if (maxSize < 1)
    throw new BriskOptionError('maxSize', options.maxSize, 'a size of at least 1 byte, e.g. "64 MB"')
  const maxEntrySize =
    options.maxEntrySize === undefined
      ? Math.max(1, Math.floor(maxSize / 4))
      : parseSize(options.maxEntrySize, 'maxEntrySize')
  if (maxEntrySize < 1 || maxEntrySize > maxSize) {
    throw new BriskOptionError(
      'maxEntrySize',
      options.maxEntrySize,
      `a size between 1 byte and maxSize (${maxSize} bytes)`,
    )
  }
  const clock = options.clock
  if (clock !== undefined && typeof clock.now !== 'function') {
    throw new BriskOptionError('clock', clock, 'an object with a now() method returning milliseconds')
  }

  const tagIndex = new Map<string, Set<string>>()

  const unindex = (key: string, tags: readonly string[] | undefined): void => {
    if (tags === undefined) return
    for (const tag of tags) {
      const keys = tagIndex.get(tag)
      if (keys === undefined) continue
      keys.delete(key)
      if (keys.size === 0) tagIndex.delete(tag)
    }
  }

  const lru = new LRUCache<string, MemoryRecord>({
    maxSize,
    maxEntrySize,
    sizeCalculation: (record, key) => Math.max(1, estimateEntrySize(key, record.entry, record.tags)),
    // Runs on eviction, expiry, replacement and deletion alike, before any new value is indexed.
    dispose: (record, key) => unindex(key, record.tags),
    onInsert: (record, key) => {
      if (record.tags === undefined) return
      for (const tag of record.tags) {
        let keys = tagIndex.get(tag)
        if (keys === undefined) tagIndex.set(tag, (keys = new Set()))
        keys.add(key)
      }
    },
    // With a fake clock, read it on every check instead of caching "now" for 1 ms of real time.
    ...(clock === undefined ? {} : { perf: clock, ttlResolution: 0 }),
  })

  return {
    name: 'memory',
    get size() {
      return lru.calculatedSize
    },
    get entries() {
      return lru.size
    },
    async get(key) {
      return lru.get(key)?.entry
    },
    peek(key) {
      return lru.get(key)?.entry
    },
    async set(key: string, entry: StoreEntry, setOptions: StoreSetOptions) {
      const ttl = setOptions.ttl
      if (!(ttl > 0)) {
        // An entry that may not be kept at all replaces nothing but the old value.
        lru.delete(key)
        return
      }
      const tags =
        setOptions.tags === undefined || setOptions.tags.length === 0 ? undefined : setOptions.tags.slice()
      // lru-cache wants whole milliseconds; Infinity means "no expiry" (0).
      lru.set(key, { entry: ownBytes(entry), tags }, { ttl: Number.isFinite(ttl) ? Math.ceil(ttl) : 0 })
    },
    async delete(key) {
      lru.delete(key)
    },
    async deleteByTag(tag) {
      const keys = tagIndex.get(tag)
      if (keys === undefined) return 0
      tagIndex.delete(tag)
      let removed = 0
      for (const key of keys) if (lru.delete(key)) removed++
      return removed
    },
    async clear() {
      lru.clear()
      tagIndex.clear()
    },
    async close() {
      lru.clear()
      tagIndex.clear()
    },
  }
}
