import { createHash, randomBytes } from 'node:crypto'
import { BackendGuard, type BackendOptions, BriskOptionError, parseSize, type Size } from '@brisk/core'
import memjs from 'memjs'
import type { CacheStore, ReleaseLock, StoreEntry, StoreMeta, StoreSetOptions } from '../store.js'
import { byteKey } from './byte-key.js'
import { decodeFrame, encodeFrame } from './entry-frame.js'
import { addWithCas, deleteIfCas } from './memcached-cas.js'

/** A memjs client as `memjs.Client.create()` returns it (values in and out as bytes). */
export type MemcachedClient = memjs.Client<string | Buffer, Buffer | null>

/** Besides these, the fault-handling options of every remote store: `timeout` (default 50 ms), `failureThreshold` (5), `resetTimeout` (1 s), `quietPeriod` (5 s), `logger`, `metrics`. */
export interface MemcachedStoreOptions extends BackendOptions {
  /** Servers as memjs reads them: `'host:11211'` or `'host1:11211,host2:11211'` (consistent per-key choice). Ignored when `client` is given. */
  servers?: string
  /** A memjs client of your own instead of `servers`; never closed by the store. */
  client?: MemcachedClient
  /** Prefix of every key the store writes (entries, generations, locks). Default `'brisk:'`. */
  prefix?: string
  /** Largest value sent to Memcached (the server's `-I` item size limit). Larger entries are not stored. Default `'1 MB'`. */
  maxValueSize?: Size
}

export interface MemcachedStore extends CacheStore {
  readonly name: 'memcached'
  readonly client: MemcachedClient
  readonly guard: BackendGuard
  lock(key: string, ttl: number): Promise<ReleaseLock | undefined>
}

/** Entry header: metadata, tags, the generation of each tag and of the store when written. */
interface MemcachedHeader {
  m: StoreMeta
  /** Store generation (bumped by clear). */
  c: string
  t?: readonly string[]
  /** Tag generations, aligned with `t`. */
  g?: readonly string[]
}

const DEFAULT_PREFIX = 'brisk:'
// Memcached refuses keys over 250 bytes; longer ones are hashed.
const MAX_KEY_BYTES = 250
// Memcached reads a relative expiry over 30 days as an absolute Unix time (protocol.txt, "Expiration times").
const MAX_RELATIVE_SECONDS = 60 * 60 * 24 * 30
const DEFAULT_MAX_VALUE_SIZE = '1 MB'
// memjs's list: comma-separated `[user:pass@]host[:port]`; a bad port or an empty entry would
// only show as every request bypassing the cache.
const SERVER = String.raw`(?:[^\s,@/]+@)?(?:\[[0-9a-fA-F:.]+\]|[^\s,:@/\[\]]+)(?::(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))?`
const SERVER_LIST = new RegExp(String.raw`^${SERVER}(?:\s*,\s*${SERVER})*$`)

/**
 * A store on Memcached through memjs (binary protocol, so bodies travel as bytes).
 *
 * Memcached cannot list keys, so purges work by generations instead of scans: each tag, and
 * the store as a whole, has a generation key holding a random token. An entry records the
 * tokens current when it was written; `deleteByTag` deletes the tag's generation key and
 * `clear` the store's, after which every entry recording the old token reads as a miss (and
 * Memcached's LRU reclaims it). A generation key that is missing (purged or evicted) never
 * validates anything, so eviction errs towards a miss, never towards serving a purged entry,
 * and a purge racing a write cannot leave that write valid.
 *
 * Round-trips: an untagged hit costs one (the entry and the store generation are fetched in
 * parallel); a tagged hit costs two (then all of its tag generations, in parallel), since the
 * tags are only known once the entry is read. A write costs two (generations, then the entry)
 * plus one `add` for a generation that does not exist yet; a purge costs one.
 */
export function memcachedStore(options: MemcachedStoreOptions = {}): MemcachedStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || prefix === '' || Buffer.byteLength(prefix) > 100) {
    throw new BriskOptionError(
      'prefix',
      options.prefix,
      'a non-empty string of at most 100 bytes, such as "brisk:"',
    )
  }
  const maxValueSize = parseSize(options.maxValueSize ?? DEFAULT_MAX_VALUE_SIZE, 'maxValueSize')
  if (maxValueSize < 1)
    throw new BriskOptionError('maxValueSize', options.maxValueSize, 'a size above 0, e.g. "1 MB"')
  const ownsClient = options.client === undefined
  let client: MemcachedClient
  if (options.client !== undefined) {
    if (
      options.client === null ||
      typeof options.client.get !== 'function' ||
      typeof options.client.add !== 'function' ||
      // The lock sends its ADD and conditional DELETE through memjs's perform (memcached-cas.ts).
      typeof options.client.perform !== 'function'
    ) {
      throw new BriskOptionError('client', options.client, 'a memjs client (memjs.Client.create(...))')
    }
    client = options.client
  } else {
    if (typeof options.servers !== 'string' || !SERVER_LIST.test(options.servers.trim())) {
      throw new BriskOptionError(
        'servers',
        options.servers,
        'a server list such as "127.0.0.1:11211" or "a:11211,b:11211" (ports 1 to 65535), or a memjs client',
      )
    }
    // The guard owns timeouts and retries (by bypassing); memjs must neither retry nor log.
    client = memjs.Client.create(options.servers, { retries: 0, keepAlive: true, logger: { log() {} } })
  }
  const guard = new BackendGuard({ ...options, name: 'memcached cache store' })

  const key = (kind: string, given: string): string => {
    const name = byteKey(given)
    const full = `${prefix}${kind}:${name}`
    if (Buffer.byteLength(full) <= MAX_KEY_BYTES) return full
    return `${prefix}${kind}#${createHash('sha256').update(name).digest('base64url')}`
  }
  const storeGenerationKey = `${prefix}c`

  const readValue = async (k: string): Promise<Buffer | null> => (await client.get(k)).value
  const readToken = async (k: string): Promise<string | undefined> => (await readValue(k))?.toString('latin1')

  /** The current token of a generation key, creating one when absent (add: the first writer wins). */
  const ensureToken = async (k: string): Promise<string | undefined> => {
    const current = await readToken(k)
    if (current !== undefined) return current
    const fresh = randomBytes(12).toString('base64url')
    if (await client.add(k, fresh, { expires: 0 })) return fresh
    return readToken(k)
  }

  return {
    name: 'memcached',
    client,
    guard,

    async get(name): Promise<StoreEntry | undefined> {
      const [frame, storeToken] = await guard.run(() =>
        Promise.all([readValue(key('e', name)), readToken(storeGenerationKey)]),
      )
      if (frame === null || storeToken === undefined) return undefined
      const decoded = decodeFrame(frame)
      const header = decoded === undefined ? undefined : readHeader(decoded.header)
      if (decoded === undefined || header === undefined || header.c !== storeToken) return undefined
      if (decoded.expiresAt !== undefined && decoded.expiresAt <= Date.now()) return undefined
      const tags = header.t
      if (tags !== undefined && tags.length > 0) {
        const tokens = await guard.run(() => Promise.all(tags.map((tag) => readToken(key('g', tag)))))
        for (let i = 0; i < tags.length; i++) if (tokens[i] !== header.g?.[i]) return undefined
      }
      const entry: StoreEntry = { meta: header.m, body: decoded.body }
      if (decoded.expiresAt !== undefined) entry.expiresAt = decoded.expiresAt
      if (tags !== undefined) entry.tags = tags
      return entry
    },

    async set(name: string, entry: StoreEntry, setOptions: StoreSetOptions): Promise<void> {
      const k = key('e', name)
      const ttl = setOptions.ttl
      if (!(ttl > 0)) {
        await guard.run(() => client.delete(k))
        return
      }
      const tags =
        setOptions.tags === undefined || setOptions.tags.length === 0 ? undefined : setOptions.tags.slice()
      const [storeToken, ...tagTokens] = await guard.run(() =>
        Promise.all([
          ensureToken(storeGenerationKey),
          ...(tags ?? []).map((tag) => ensureToken(key('g', tag))),
        ]),
      )
      // A generation that vanished while we created it (evicted, purged): skip rather than store unpurgeably.
      if (storeToken === undefined || tagTokens.some((token) => token === undefined)) return
      const header: MemcachedHeader =
        tags === undefined
          ? { m: entry.meta, c: storeToken }
          : { m: entry.meta, c: storeToken, t: tags, g: tagTokens as string[] }
      const seconds = Number.isFinite(ttl) ? Math.ceil(ttl / 1000) : 0
      const frame = encodeFrame(header, Number.isFinite(ttl) ? Date.now() + ttl : undefined, entry.body)
      if (frame.byteLength > maxValueSize) {
        // Too big for the server: drop any older value rather than leave it answering for this key.
        await guard.run(() => client.delete(k))
        return
      }
      await guard.run(() => client.set(k, frame, { expires: memcachedExpiry(seconds) }))
    },

    async delete(name) {
      await guard.run(() => client.delete(key('e', name)))
    },

    async deleteByTag(tag) {
      await guard.run(() => client.delete(key('g', tag)))
      // Memcached cannot count the entries a generation change invalidated.
      return undefined
    },

    async clear() {
      await guard.run(() => client.delete(storeGenerationKey))
    },

    async lock(name, ttl) {
      const k = key('l', name)
      const token = randomBytes(16).toString('base64url')
      const seconds = Math.max(1, Math.ceil((Number.isFinite(ttl) && ttl > 0 ? ttl : 1) / 1000))
      const cas = await guard.run(() => addWithCas(client, k, token, memcachedExpiry(seconds)))
      if (cas === undefined) return undefined
      let released = false
      return async () => {
        if (released) return
        released = true
        await guard
          .run(async () => {
            // A DELETE carrying the CAS of the item our ADD created: memcached removes that
            // item only, so a lock that expired and was taken by another holder (a new item,
            // a new CAS) is never removed, however late the release arrives.
            if (cas !== null) return void (await deleteIfCas(client, k, cas))
            // A server started with -C keeps no CAS, and a DELETE without one is
            // unconditional: read, then delete if the token is still ours. Between the two
            // (one round-trip) the lock could expire and be taken by another holder, whose
            // lock this would remove; locks only coalesce misses, so the worst case is one
            // extra render, not a wrong answer.
            if ((await readToken(k)) === token) await client.delete(k)
          })
          .catch(() => {})
      }
    },

    async close() {
      if (ownsClient) client.close()
    },
  }
}

/** A TTL in seconds as Memcached reads it: 0 = never, ≤ 30 days relative, beyond that an absolute Unix time. */
export function memcachedExpiry(seconds: number, nowMs = Date.now()): number {
  if (seconds <= 0) return 0
  if (seconds <= MAX_RELATIVE_SECONDS) return seconds
  return Math.ceil(nowMs / 1000) + seconds
}

function readHeader(header: unknown): MemcachedHeader | undefined {
  if (typeof header !== 'object' || header === null) return undefined
  const { m, c, t, g } = header as Partial<Record<keyof MemcachedHeader, unknown>>
  if (typeof m !== 'object' || m === null || typeof c !== 'string') return undefined
  if (t === undefined) return { m: m as StoreMeta, c }
  if (!isStringList(t) || !isStringList(g) || g.length !== t.length) return undefined
  return { m: m as StoreMeta, c, t, g }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
