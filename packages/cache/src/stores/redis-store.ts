import { randomBytes } from 'node:crypto'
import {
  BackendGuard,
  type BackendOptions,
  batchWrites,
  BriskOptionError,
  quietClientErrors,
} from '@brisk/core'
import type { Redis } from 'ioredis'
import type { CacheStore, ReleaseLock, StoreEntry, StoreMeta, StoreSetOptions } from '../store.js'
import { byteKey } from './byte-key.js'
import { decodeFrame, encodeFrame } from './entry-frame.js'
import { firstConnection } from './first-connection.js'
import { clientKeyPrefix, escapeGlob, unlinkKeys } from './redis-keys.js'
import { INDEX_TAG, isCluster, RELEASE_LOCK, runScript, type RedisClient } from './redis-scripts.js'

/** Besides these, the fault-handling options of every remote store: `timeout` (default 50 ms), `failureThreshold` (5), `resetTimeout` (1 s), `quietPeriod` (5 s), `logger`, `metrics`. */
export interface RedisStoreOptions extends BackendOptions {
  /** An ioredis client: `new Redis(url)`, one configured for Sentinel, or `new Redis.Cluster(nodes)`. Never closed by the store. */
  client: RedisClient
  /** Prefix of every key the store writes (entries, tag sets, locks, its pub/sub channel). Default `'brisk:'`. */
  prefix?: string
}

/** A store on Redis; {@link tieredStore} uses its client, prefix and guard for invalidations. */
export interface RedisStore extends CacheStore {
  readonly name: 'redis'
  readonly client: RedisClient
  readonly prefix: string
  /** Timeout, circuit breaker and incident logging every command of this store runs under. */
  readonly guard: BackendGuard
  lock(key: string, ttl: number): Promise<ReleaseLock | undefined>
}

/** What a frame's header JSON holds: the entry's metadata and its tags (so a tier above can index a copy). */
interface FrameHeader {
  m: StoreMeta
  t?: readonly string[]
}

function readFrameHeader(header: unknown): FrameHeader | undefined {
  if (typeof header !== 'object' || header === null) return undefined
  const { m, t } = header as { m?: unknown; t?: unknown }
  if (typeof m !== 'object' || m === null) return undefined
  if (t !== undefined && !(Array.isArray(t) && t.every((tag) => typeof tag === 'string'))) return undefined
  return t === undefined ? { m: m as StoreMeta } : { m: m as StoreMeta, t: t as string[] }
}

const DEFAULT_PREFIX = 'brisk:'
// Members taken from a tag set per SPOP while purging.
const PURGE_BATCH = 500
// A purge stops after this many batches even if writers keep tagging new entries meanwhile.
const MAX_PURGE_BATCHES = 10_000
const SCAN_COUNT = 1000

/**
 * A store on Redis (single node, Sentinel or Cluster) through ioredis.
 *
 * - One Redis string per entry holding a binary frame (header JSON + body bytes, see
 *   entry-frame.ts), written with `SET … PX`: a hit is one `GET`, the body arrives as bytes.
 * - Tags: a Redis set per tag (`<prefix>t:<tag>`) holding entry keys, living at least as long
 *   as its longest-lived entry. `set` writes the entry first and indexes it second, and
 *   `deleteByTag` first unlinks every entry the set names (SSCAN, the set left as it is), then
 *   drains the set with `SPOP` rather than deleting it: a writer indexing an entry during a
 *   purge either has its key popped and deleted, or finds it left in the set for the next
 *   purge; a `DEL` of the whole set could drop an entry indexed between the read and the
 *   delete, leaving it unpurgeable. The first pass makes a purge that timed out (its SPOP
 *   still run by Redis later, its reply lost) safe to retry.
 * - Every command runs under core's {@link BackendGuard}: a slow or failing Redis rejects with
 *   `BackendUnavailableError`, which callers turn into a bypass.
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const client = options?.client
  if (
    client === undefined ||
    client === null ||
    typeof (client as Partial<RedisClient>).getBuffer !== 'function'
  ) {
    throw new BriskOptionError(
      'client',
      client,
      'an ioredis client (new Redis(...) or new Redis.Cluster(...))',
    )
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || prefix === '') {
    // An empty prefix would make clear() remove every key of the database.
    throw new BriskOptionError('prefix', options.prefix, 'a non-empty string such as "brisk:"')
  }
  quietClientErrors(client)
  const guard = new BackendGuard({ ...options, name: 'redis cache store' })
  const connection = firstConnection(client)
  /** A command under the guard, once the client's first connection is up (see first-connection.ts). */
  const run = <T>(command: () => Promise<T>): Promise<T> => {
    batchWrites(client)
    return connection.ready() ? guard.run(command) : connection.wait().then(() => guard.run(command))
  }

  const entryKey = (key: string): string => `${prefix}e:${byteKey(key)}`
  const tagKey = (tag: string): string => `${prefix}t:${byteKey(tag)}`
  const lockKey = (key: string): string => `${prefix}l:${byteKey(key)}`

  return {
    name: 'redis',
    client,
    prefix,
    guard,

    async get(key): Promise<StoreEntry | undefined> {
      const frame = await run(() => client.getBuffer(entryKey(key)))
      if (frame === null) return undefined
      const decoded = decodeFrame(frame)
      const header = decoded === undefined ? undefined : readFrameHeader(decoded.header)
      if (decoded === undefined || header === undefined) return undefined
      const entry: StoreEntry = { meta: header.m, body: decoded.body }
      if (decoded.expiresAt !== undefined) entry.expiresAt = decoded.expiresAt
      if (header.t !== undefined) entry.tags = header.t
      return entry
    },

    async set(key: string, entry: StoreEntry, setOptions: StoreSetOptions): Promise<void> {
      const ttl = setOptions.ttl
      const k = entryKey(key)
      if (!(ttl > 0)) {
        await run(() => client.unlink(k))
        return
      }
      const finite = Number.isFinite(ttl)
      const px = finite ? Math.max(1, Math.ceil(ttl)) : -1
      const tags = setOptions.tags
      const header: FrameHeader =
        tags === undefined || tags.length === 0 ? { m: entry.meta } : { m: entry.meta, t: tags }
      const frame = encodeFrame(header, finite ? Date.now() + px : undefined, entry.body)
      const write = () => (finite ? client.set(k, frame, 'PX', px) : client.set(k, frame))
      if (tags === undefined || tags.length === 0) {
        await run(write)
        return
      }
      const index = () => Promise.all(tags.map((tag) => runScript(client, INDEX_TAG, [tagKey(tag)], [k, px])))
      try {
        if (isCluster(client)) {
          // Entry and tag sets live on different nodes: wait for the entry before indexing it.
          await run(write)
          await run(index)
        } else {
          // One connection executes in the order sent, entry before index: one round-trip.
          await run(() => Promise.all([write(), index()]))
        }
      } catch (error) {
        // An entry its tags cannot reach must not stay: a purge would miss it.
        await run(() => client.unlink(k)).catch(() => {})
        throw error
      }
    },

    async delete(key) {
      await run(() => client.unlink(entryKey(key)))
    },

    async deleteByTag(tag) {
      const set = tagKey(tag)
      let removed = 0
      // First the entries the index names, leaving the index as it is. A command that timed
      // out still runs once Redis resumes: an SPOP whose reply never came would take members
      // out of the index that nobody unlinked, their entries live and out of every later
      // purge's reach. Read first, the index keeps naming them until they are gone, so a
      // purge that failed halfway is safe to retry.
      let cursor = '0'
      let batches = 0
      do {
        const from = cursor
        const [next, members] = await run(() => client.sscan(set, from, 'COUNT', PURGE_BATCH))
        cursor = next
        removed += await unlinkKeys(client, members, (command) => run(command))
      } while (cursor !== '0' && ++batches < MAX_PURGE_BATCHES)
      // Then drain the index: what a writer indexed meanwhile is popped and deleted too.
      for (let batch = 0; batch < MAX_PURGE_BATCHES; batch++) {
        const members = await run(() => client.spop(set, PURGE_BATCH))
        removed += await unlinkKeys(client, members, (command) => run(command))
        if (members.length < PURGE_BATCH) break
      }
      return removed
    },

    async clear() {
      // A Cluster client knows its masters only once connected.
      await connection.wait()
      // SCAN patterns and replies carry the client's keyPrefix; UNLINK adds it again itself.
      const keyPrefix = clientKeyPrefix(client)
      const match = `${escapeGlob(keyPrefix + prefix)}*`
      const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client]
      for (const node of nodes) {
        let cursor = '0'
        do {
          const [next, keys] = await run(() => node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT))
          cursor = next
          const own = keyPrefix === '' ? keys : keys.map((key) => key.slice(keyPrefix.length))
          await unlinkKeys(client, own, (command) => run(command))
        } while (cursor !== '0')
      }
    },

    async lock(key, ttl) {
      const k = lockKey(key)
      const token = randomBytes(16).toString('base64url')
      const px = Math.max(1, Math.ceil(Number.isFinite(ttl) && ttl > 0 ? ttl : 1))
      const taken = await run(() => client.set(k, token, 'PX', px, 'NX'))
      if (taken !== 'OK') return undefined
      let released = false
      return async () => {
        if (released) return
        released = true
        // A lock that cannot be released now expires by its TTL; the caller has nothing to undo.
        await run(() => runScript(client, RELEASE_LOCK, [k], [token])).catch(() => {})
      }
    },

    async close() {
      // The client belongs to the caller; the store opened nothing of its own.
    },
  }
}
