import type { StoreEntry } from '../store.js'

// What one kept entry costs besides its body, its key and its metadata: the StoreEntry and
// record objects, the Buffer and ArrayBuffer objects around the body and the native backing
// store behind them, lru-cache's Map slot and its parallel per-entry arrays (keys, values,
// links, sizes, TTLs, start times).
//
// Measured with bench/src/store-memory-probe.ts (`fill 200000 <bytes> [data] [tags]`; Node 20.20,
// x64, glibc; the marginal cost of the second 100k of 200k entries, after a full GC and a
// pause, three runs): a data-cache entry (key `data:user:123456`, meta {c, e, g, f}, 100 B body)
// grew RSS by 827-834 B, of which 545 B of V8 heap and 100 B of ArrayBuffer: 730 B beyond its
// body. The old estimate (a 160 B overhead) accounted 444 B for it, so a store of small
// entries held 1.87x its bound. Of those 730 B, the key string and the meta object take roughly
// 150 B (the walk below counts them, at 216 B); the rest, about 580 B, is this constant.
const ENTRY_OVERHEAD = 600
// Per object member or array item: its slot, plus a share of the object's backing store.
const MEMBER_OVERHEAD = 16
const ITEM_OVERHEAD = 8
// An object or array itself (map pointer, properties, elements, length).
const OBJECT_OVERHEAD = 32
// A string's header; its characters count 2 bytes each (UTF-16, the worst case for V8).
const STRING_OVERHEAD = 16
// A number that is not a small integer lives in a HeapNumber of its own.
const NUMBER_SIZE = 16
// A Buffer's JS objects and native backing store, besides its bytes.
const BUFFER_OVERHEAD = 200
// Per tag: the tag string, its slot in the entry's tag list, and the tag index's share (an
// entry in the tag's Set of keys, or a new Map entry and Set when the tag is new). Measured
// with the same probe: two tags per entry (`posts` shared by all, `post:<n>` of its own) added
// 310 B of heap and 355-375 B of RSS per entry; the old 16 B + 2 B per character counted 64 B.
const TAG_OVERHEAD = 160
// The tag list the store keeps for an entry.
const TAG_LIST_OVERHEAD = 32
// Metadata nested deeper than this is not walked further (it is counted as one small value).
const MAX_DEPTH = 8

/**
 * Estimates the memory an entry holds, in bytes: body length, key and tags as UTF-16 strings,
 * a walk of the metadata without serializing it (set runs on every miss; a JSON.stringify there
 * would allocate a copy of every header just to measure it), the tag index's share, and a fixed
 * overhead measured for small entries (see the figures above), so that a store full of tiny
 * entries still stays near its byte bound. Strings shared between entries (a constant header
 * value) are counted for each entry: the estimate errs high, never low.
 */
export function estimateEntrySize(
  key: string,
  entry: StoreEntry,
  tags: readonly string[] | undefined,
): number {
  let size =
    ENTRY_OVERHEAD +
    entry.body.byteLength +
    STRING_OVERHEAD +
    key.length * 2 +
    estimateValueSize(entry.meta, 0)
  if (tags !== undefined) {
    size += TAG_LIST_OVERHEAD
    for (const tag of tags) size += TAG_OVERHEAD + tag.length * 2
  }
  return size
}

function estimateValueSize(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return STRING_OVERHEAD + value.length * 2
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 0 : NUMBER_SIZE
    case 'boolean':
    case 'undefined':
      // true, false and undefined are shared constants: the member's slot is all they take.
      return 0
    case 'bigint':
      return 16 + 8 * Math.ceil(value.toString(16).length / 16)
    case 'object': {
      if (value === null) return 0
      if (depth >= MAX_DEPTH) return 64
      if (Buffer.isBuffer(value)) return value.byteLength + BUFFER_OVERHEAD
      let size = OBJECT_OVERHEAD
      if (Array.isArray(value)) {
        for (const item of value) size += ITEM_OVERHEAD + estimateValueSize(item, depth + 1)
        return size
      }
      // Member names are shared (V8 keeps them once per shape), so only the slots count.
      for (const field in value) {
        size += MEMBER_OVERHEAD + estimateValueSize((value as Record<string, unknown>)[field], depth + 1)
      }
      return size
    }
    default:
      return 16
  }
}
