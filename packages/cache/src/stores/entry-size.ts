import type { StoreEntry } from '../store.js'

// What V8 spends around one kept entry besides its own bytes: the LRU slot, the record object,
// the StoreEntry and meta objects, the key in the LRU's Map. An estimate, so that a store full of
// tiny entries still stays near its byte bound.
const ENTRY_OVERHEAD = 160
// Per JSON member: the property slot and its hidden-class share, roughly.
const MEMBER_OVERHEAD = 16
// Metadata nested deeper than this is not walked further (it is counted as one small value).
const MAX_DEPTH = 8

/**
 * Estimates the memory an entry holds, in bytes: body length, key and tags as UTF-16 strings,
 * a walk of the metadata without serializing it (set runs on every miss; a JSON.stringify there
 * would allocate a copy of every header just to measure it), and a fixed overhead.
 */
export function estimateEntrySize(
  key: string,
  entry: StoreEntry,
  tags: readonly string[] | undefined,
): number {
  let size = ENTRY_OVERHEAD + entry.body.byteLength + key.length * 2 + estimateValueSize(entry.meta, 0)
  if (tags !== undefined) for (const tag of tags) size += tag.length * 2 + MEMBER_OVERHEAD
  return size
}

function estimateValueSize(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 2 + 16
    case 'number':
    case 'boolean':
    case 'undefined':
      return 8
    case 'object': {
      if (value === null) return 8
      if (depth >= MAX_DEPTH) return 64
      if (Buffer.isBuffer(value)) return value.byteLength + 64
      let size = 32
      if (Array.isArray(value)) {
        for (const item of value) size += estimateValueSize(item, depth + 1) + 8
        return size
      }
      for (const field in value) {
        size += field.length * 2 + MEMBER_OVERHEAD
        size += estimateValueSize((value as Record<string, unknown>)[field], depth + 1)
      }
      return size
    }
    default:
      return 16
  }
}
