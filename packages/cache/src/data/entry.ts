import type { StoreMeta } from '../store.js'

/**
 * What the data cache keeps in a store entry's `meta` (short names: remote stores serialize it
 * with every entry). Times are epoch milliseconds from the cache's clock.
 */
export interface DataEntryMeta extends StoreMeta {
  /** When the value was computed. */
  c: number
  /** Fresh until this instant. */
  e: number
  /** Usable as a stale value (grace) until this instant. */
  g: number
  /** Name of the serializer that wrote the body. */
  f: string
}

/** How a kept entry may be used at a given instant. */
export type EntryState = 'fresh' | 'stale' | 'dead'

/** Builds the meta of an entry computed at `now`. */
export function dataEntryMeta(now: number, ttl: number, grace: number, serializer: string): DataEntryMeta {
  return { c: now, e: now + ttl, g: now + ttl + grace, f: serializer }
}

/**
 * The entry's meta when it was written by this data cache with `serializer`, otherwise
 * undefined (a response entry under the same key, another serializer, a corrupt entry): all
 * of those read as a miss rather than as a value decoded the wrong way.
 */
export function readDataMeta(meta: StoreMeta, serializer: string): DataEntryMeta | undefined {
  if (meta.f !== serializer) return undefined
  if (typeof meta.c !== 'number' || typeof meta.e !== 'number' || typeof meta.g !== 'number') return undefined
  return meta as DataEntryMeta
}

/** Fresh before `e`, stale (servable within grace) before `g`, dead after. */
export function entryState(meta: DataEntryMeta, now: number): EntryState {
  if (now < meta.e) return 'fresh'
  if (now < meta.g) return 'stale'
  return 'dead'
}

/**
 * Whether a fresh entry has lived `fraction` of its ttl, the point from which a hit refreshes
 * it in the background so that a hot key never expires under load.
 */
export function isDueForEarlyRefresh(meta: DataEntryMeta, now: number, fraction: number): boolean {
  return now >= meta.c + (meta.e - meta.c) * fraction
}
