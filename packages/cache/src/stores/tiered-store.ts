import { randomBytes } from 'node:crypto'
import {
  BriskOptionError,
  parseOptionalDuration,
  resolveLogger,
  type BriskLogger,
  type Duration,
} from '@brisk/core'
import type { CacheStore, ReleaseLock, StoreEntry, StoreSetOptions } from '../store.js'
import type { RedisClient } from './redis-scripts.js'
import type { RedisStore } from './redis-store.js'

export interface TieredStoreOptions {
  /** First tier, in process (usually `memoryStore(...)`): every hit it can answer costs no network. */
  l1: CacheStore
  /** Second tier, shared by the fleet: a `redisStore(...)`, whose client also carries invalidations. */
  l2: RedisStore
  /** Longest an L1 copy is kept, whatever the entry's TTL. Default: the entry's remaining TTL in L2. */
  l1MaxTtl?: Duration
  /** Whether a `set` also drops other instances' L1 copy of that key. Default `true`. */
  invalidateOnSet?: boolean
  /** Pub/sub channel for invalidations. Default `<l2 prefix>invalidate`. */
  channel?: string
  /** pino-compatible logger for the subscriber's incidents; `false` silences it. */
  logger?: BriskLogger | false
}

/** An invalidation applied to this instance's L1 because of another instance, or a resync. */
export type InvalidationEvent =
  | { kind: 'delete'; key: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'clear' }
  /** The subscriber reconnected: messages may have been missed, so L1 was emptied. */
  | { kind: 'resync' }

export interface TieredStore extends CacheStore {
  readonly name: 'tiered'
  readonly l1: CacheStore
  readonly l2: RedisStore
  /** Identifies this instance in invalidation messages, so it skips its own. */
  readonly instanceId: string
  /** Resolves once this instance listens for the others' invalidations. */
  ready(): Promise<void>
  /** Calls `listener` after a remote invalidation or a resync has been applied to L1; returns an unsubscribe function. */
  onInvalidation(listener: (event: InvalidationEvent) => void): () => void
  lock(key: string, ttl: number): Promise<ReleaseLock | undefined>
}

/** An L2 read in flight; marked stale when its key is invalidated before it completes. */
interface PendingRead {
  stale: boolean
}

/** The wire form of an invalidation: sender instance, operation (k = key, t = tag, c = clear), value, and a nonce the sender waits to see come back. */
interface InvalidationMessage {
  i: string
  o: 'k' | 't' | 'c'
  v?: string
  n?: string
}

// How long a purge waits for its own invalidation to come back through the channel before it
// resolves anyway (a subscriber that is slow or gone; the next resubscription empties L1).
const ECHO_WAIT_MS = 1000

/**
 * Two tiers: an in-process L1 in front of a shared Redis L2. Hits come from L1; an L1 miss
 * reads L2 and keeps a copy in L1 for the entry's remaining TTL; writes go to both.
 *
 * Invalidations (delete, deleteByTag, clear, and by default set) are applied to L2, then to
 * this L1, then published on a Redis channel; every other instance applies them to its L1, so
 * a fleet never serves a purged entry from a stale L1. The subscriber is a connection of its
 * own (`client.duplicate()`); whenever it reconnects, L1 is emptied once the subscription is
 * confirmed again, because messages sent while it was away are lost (Redis pub/sub is
 * at-most-once). An L2 read that was in flight while an invalidation was applied does not fill
 * L1 with what it read, which may be the value just purged.
 *
 * While Redis is down L1 keeps serving what it holds; L2 commands fail fast through the L2
 * store's guard (`BackendUnavailableError`), which callers turn into a bypass.
 */
export function tieredStore(options: TieredStoreOptions): TieredStore {
  const l1 = options?.l1
  if (l1 === undefined || l1 === null || typeof l1.get !== 'function' || typeof l1.set !== 'function') {
    throw new BriskOptionError('l1', l1, 'a cache store such as memoryStore({ maxSize: "64 MB" })')
  }
  const l2 = options.l2
  if (l2 === undefined || l2 === null || l2.name !== 'redis' || typeof l2.client?.duplicate !== 'function') {
    throw new BriskOptionError('l2', l2, 'a redisStore({ client })')
  }
  const l1MaxTtl = parseOptionalDuration(options.l1MaxTtl, 'l1MaxTtl')
  if (l1MaxTtl !== undefined && l1MaxTtl <= 0) {
    throw new BriskOptionError('l1MaxTtl', options.l1MaxTtl, 'a duration above 0, e.g. "1m"')
  }
  const invalidateOnSet = options.invalidateOnSet ?? true
  if (typeof invalidateOnSet !== 'boolean') {
    throw new BriskOptionError('invalidateOnSet', invalidateOnSet, 'true or false')
  }
  const channel = options.channel ?? `${l2.prefix}invalidate`
  if (typeof channel !== 'string' || channel === '') {
    throw new BriskOptionError('channel', options.channel, 'a non-empty channel name')
  }
  const logger = resolveLogger(options.logger)
  const instanceId = randomBytes(9).toString('base64url')
  const guard = l2.guard
  const client = l2.client

  const listeners = new Set<(event: InvalidationEvent) => void>()
  const emit = (event: InvalidationEvent): void => {
    for (const listener of listeners) listener(event)
  }

  // An L2 read that overlapped an invalidation must not refill L1 with what it read: that may be
  // the value just purged. Key invalidations mark the reads of that key in flight; tag and
  // clear invalidations, which may reach any key, bump an epoch every read compares.
  let epoch = 0
  const pendingReads = new Map<string, PendingRead[]>()
  const markReadsStale = (key: string): void => {
    const reads = pendingReads.get(key)
    if (reads !== undefined) for (const read of reads) read.stale = true
  }

  const applyToL1 = async (message: InvalidationMessage): Promise<void> => {
    if (message.o === 'k' && message.v !== undefined) markReadsStale(message.v)
    else epoch++
    if (message.o === 'k' && message.v !== undefined) await l1.delete(message.v)
    else if (message.o === 't' && message.v !== undefined) await l1.deleteByTag(message.v)
    else if (message.o === 'c') await l1.clear()
  }

  const publish = async (message: InvalidationMessage): Promise<void> => {
    await guard.run(() => client.publish(channel, JSON.stringify(message)))
  }

  // Purges this instance is waiting to see come back through the channel, by nonce.
  const echoes = new Map<string, () => void>()
  let echoCounter = 0

  /**
   * Publishes an invalidation and resolves once this instance's own subscriber has received it:
   * Redis hands a message to every subscriber at once, so by then the other instances have it
   * too, and a purge that has resolved is not still waiting in the channel while a client asks
   * another instance for the purged page.
   */
  const publishAndWait = async (message: InvalidationMessage): Promise<void> => {
    if (!listening()) {
      await publish(message)
      return
    }
    const nonce = `${instanceId}:${++echoCounter}`
    let timer: NodeJS.Timeout | undefined
    const echoed = new Promise<void>((resolve) => {
      echoes.set(nonce, resolve)
      timer = setTimeout(resolve, ECHO_WAIT_MS)
      timer.unref?.()
    })
    try {
      await publish({ ...message, n: nonce })
      await echoed
    } finally {
      clearTimeout(timer)
      echoes.delete(nonce)
    }
  }

  // --- the subscriber -------------------------------------------------------------------
  const subscriber: RedisClient = client.duplicate()
  let closed = false
  let subscribedOnce = false
  let disconnectedSinceSubscribe = false
  let resolveReady: () => void = () => {}
  const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve))

  subscriber.on('message', (from: string, raw: string) => {
    if (from !== channel) return
    const message = parseMessage(raw)
    if (message === undefined) return
    if (message.i === instanceId) {
      if (message.n !== undefined) echoes.get(message.n)?.()
      return
    }
    void applyToL1(message).then(
      () => emit(toEvent(message)),
      (error: unknown) =>
        logger.error({ err: error }, 'tiered cache store: applying an invalidation to L1 failed'),
    )
  })
  // Connection errors are reported by the L2 guard on the command path; the subscriber
  // reports its own incident once, below, when it loses its subscription.
  subscriber.on('error', () => {})
  subscriber.on('close', () => {
    if (subscribedOnce && !disconnectedSinceSubscribe && !closed) {
      disconnectedSinceSubscribe = true
      logger.warn(
        { channel },
        'tiered cache store: invalidation subscriber disconnected; L1 will be emptied on reconnect',
      )
    }
  })
  const subscribe = (): void => {
    if (closed) return
    // Our own SUBSCRIBE's reply proves the subscription is live again (ioredis may resubscribe
    // on its own first; a second SUBSCRIBE to the same channel is harmless).
    subscriber.subscribe(channel).then(
      () => {
        if (closed) return
        if (!subscribedOnce) {
          subscribedOnce = true
          resolveReady()
          return
        }
        if (!disconnectedSinceSubscribe) return
        disconnectedSinceSubscribe = false
        void applyToL1({ i: instanceId, o: 'c' }).then(
          () => {
            logger.info({ channel }, 'tiered cache store: invalidation subscriber back; L1 emptied')
            emit({ kind: 'resync' })
          },
          () => {},
        )
      },
      () => {
        // Fails while disconnected; the next 'ready' tries again.
      },
    )
  }
  subscriber.on('ready', subscribe)
  const listening = (): boolean =>
    subscribedOnce && !disconnectedSinceSubscribe && !closed && subscriber.status === 'ready'
  // A duplicate of a lazyConnect client waits for a first command; a subscriber must not wait.
  if (subscriber.status === 'wait') subscriber.connect().catch(() => {})

  const l1Ttl = (entry: StoreEntry): number => {
    const remaining = entry.expiresAt === undefined ? Infinity : entry.expiresAt - Date.now()
    return l1MaxTtl === undefined ? remaining : Math.min(remaining, l1MaxTtl)
  }

  return {
    name: 'tiered',
    l1,
    l2,
    instanceId,
    ready: () => readyPromise,
    onInvalidation(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },

    peek(key) {
      return l1.peek?.(key)
    },

    async get(key) {
      const local = await l1.get(key)
      if (local !== undefined) return local
      const startedAt = epoch
      const read: PendingRead = { stale: false }
      let reads = pendingReads.get(key)
      if (reads === undefined) pendingReads.set(key, (reads = []))
      reads.push(read)
      let remote: StoreEntry | undefined
      try {
        remote = await l2.get(key)
      } finally {
        reads.splice(reads.indexOf(read), 1)
        if (reads.length === 0) pendingReads.delete(key)
      }
      if (remote === undefined) return undefined
      const ttl = l1Ttl(remote)
      if (!(ttl > 0) || read.stale || startedAt !== epoch) return remote
      // The Redis parser hands out bodies as views into its read buffers; an L1 copy that kept
      // such a view would hold the whole buffer while L1 counts only the body. One copy per
      // fill (a miss), none per hit.
      const body =
        remote.body.byteLength === remote.body.buffer.byteLength ? remote.body : ownCopy(remote.body)
      const copy: StoreEntry = body === remote.body ? remote : { ...remote, body }
      await l1.set(key, copy, { ttl, tags: remote.tags })
      return copy
    },

    async set(key: string, entry: StoreEntry, setOptions: StoreSetOptions) {
      // An L2 read in flight must not overwrite the value written here with an older one.
      markReadsStale(key)
      try {
        await l2.set(key, entry, setOptions)
      } finally {
        // L1 keeps the value even when L2 failed: this instance still serves it.
        const ttl = l1MaxTtl === undefined ? setOptions.ttl : Math.min(setOptions.ttl, l1MaxTtl)
        await l1.set(key, entry, { ttl, tags: setOptions.tags })
      }
      if (invalidateOnSet) await publish({ i: instanceId, o: 'k', v: key })
    },

    async delete(key) {
      await invalidate({ i: instanceId, o: 'k', v: key }, () => l2.delete(key))
    },

    async deleteByTag(tag) {
      return invalidate({ i: instanceId, o: 't', v: tag }, () => l2.deleteByTag(tag))
    },

    async clear() {
      await invalidate({ i: instanceId, o: 'c' }, () => l2.clear())
    },

    lock: (key, ttl) => l2.lock(key, ttl),

    async close() {
      if (closed) return
      closed = true
      listeners.clear()
      await subscriber.quit().catch(() => subscriber.disconnect())
    },
  }

  /** L2 first (so no L1 refills from it afterwards), then this L1, then every other L1. */
  async function invalidate<T>(message: InvalidationMessage, onL2: () => Promise<T>): Promise<T> {
    let result: T
    try {
      result = await onL2()
    } finally {
      await applyToL1(message)
    }
    await publishAndWait(message)
    return result
  }
}

/** A copy in memory of its own (not a slice of Node's shared 8 KB pool, which would pin the pool). */
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength)
  bytes.copy(copy)
  return copy
}

function parseMessage(raw: string): InvalidationMessage | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<InvalidationMessage>
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.i !== 'string') return undefined
    if (parsed.o !== 'k' && parsed.o !== 't' && parsed.o !== 'c') return undefined
    if (parsed.o !== 'c' && typeof parsed.v !== 'string') return undefined
    if (parsed.n !== undefined && typeof parsed.n !== 'string') return undefined
    return parsed as InvalidationMessage
  } catch {
    return undefined
  }
}

function toEvent(message: InvalidationMessage): InvalidationEvent {
  if (message.o === 'k') return { kind: 'delete', key: message.v ?? '' }
  if (message.o === 't') return { kind: 'tag', tag: message.v ?? '' }
  return { kind: 'clear' }
}
