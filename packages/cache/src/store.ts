/**
 * The storage contract shared by the response cache and the data cache. A store keeps opaque
 * entries (small JSON metadata plus payload bytes) under string keys, with a time to live,
 * indexed by tag so that one purge reaches every entry carrying a tag.
 *
 * Freshness is not the store's business: `ttl` is how long the entry may be kept at all
 * (fresh lifetime plus any stale windows); the caller decides from `meta` whether a kept
 * entry is fresh, stale-but-usable, or dead.
 */

/** JSON-serializable metadata kept beside the payload (status, headers, expiry times, ...). */
export type StoreMeta = { [field: string]: unknown }

export interface StoreEntry {
  /** Small JSON-serializable metadata. Remote stores serialize it; memory stores keep it as is. */
  meta: StoreMeta
  /** The payload: response body bytes or a serialized data value. Never base64, never a string. */
  body: Buffer
  /**
   * When the store will drop the entry (ms since the epoch), if the store reports it. Remote
   * stores set it on the entries they return, so a tier above keeps its copy no longer; writers
   * leave it unset (the TTL in {@link StoreSetOptions} decides).
   */
  expiresAt?: number
  /**
   * The tags the entry was stored with, if the store reports them. Remote stores do, so that a
   * tier above can index its copy; writers pass tags in {@link StoreSetOptions} instead.
   */
  tags?: readonly string[]
}

export interface StoreSetOptions {
  /** How long the store may keep the entry, in milliseconds (> 0). */
  ttl: number
  /** Tags for {@link CacheStore.deleteByTag}. */
  tags?: readonly string[]
}

/** Releases a lock taken with {@link CacheStore.lock}. Safe to call more than once. */
export type ReleaseLock = () => Promise<void>

export interface CacheStore {
  /** Short name for logs and `Cache-Status` (e.g. `memory`, `redis`, `tiered`). */
  readonly name: string
  /** The entry under `key`, or undefined when absent or expired. Rejects when the backend fails. */
  get(key: string): Promise<StoreEntry | undefined>
  /**
   * The entry under `key` when this process holds it (a memory store, a tiered store's L1),
   * synchronously; undefined does not mean absent, only "ask `get`". Lets a hit skip the
   * promises of a lookup. Optional: remote stores leave it out.
   */
  peek?(key: string): StoreEntry | undefined
  set(key: string, entry: StoreEntry, options: StoreSetOptions): Promise<void>
  delete(key: string): Promise<void>
  /** Removes every entry tagged `tag`, without scanning all keys. Resolves with how many were removed when known. */
  deleteByTag(tag: string): Promise<number | undefined>
  /** Removes every entry this store holds under its prefix. */
  clear(): Promise<void>
  /**
   * Takes a short exclusive lock named `key` across every process sharing this store, for
   * request coalescing. Resolves with a release function, or undefined when another holder
   * has it. Stores local to one process may omit it (in-process coalescing covers them).
   */
  lock?(key: string, ttl: number): Promise<ReleaseLock | undefined>
  /** Closes connections and subscriptions the store opened itself (never the user's client). */
  close?(): Promise<void>
}
