import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  headerValue,
  withAnswerNow,
  type AnswerNow,
  type BriskHeaders,
  type BriskMiddleware,
  type BriskNext,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import generateEtag from 'etag'
import fresh from 'fresh'
import { LRUCache } from 'lru-cache'
import { captureBody } from './body-capture.js'
import { defaultCacheKey } from './cache-key.js'
import { formatCacheStatus, type CacheStatusInfo, type ForwardReason } from './cache-status.js'
import { Coalescer, within } from './coalesce.js'
import { invalidatedTargets } from './invalidation.js'
import { resolveCacheOptions, type CacheOptions } from './options.js'
import { collectTags, hasSessionCookie, requestDirectives, type RequestDirectives } from './request-policy.js'
import { mergeRevalidation } from './revalidation.js'
import { decideStorage, type StoragePolicySettings } from './storage-policy.js'
import type { CacheStore, ReleaseLock, StoreEntry } from './store.js'
import {
  asVaryMeta,
  buildEntry,
  prepareEntry,
  prepareResponse,
  responseMeta,
  storableHeaders,
  storeTtl,
  type PreparedResponse,
  type ResponseMeta,
  type VaryMeta,
} from './stored-response.js'
import { unkeyedRequestHeader } from './unkeyed-headers.js'
import { acceptsEncoding, parseVary, variantKey, variantKeyOf, variantValues } from './vary.js'

/** The response-cache middleware, with its purge API. */
export interface ResponseCache extends BriskMiddleware {
  /** Removes what is stored under a key as `key(req)` computes it (all its variants). */
  purgeKey(key: string): Promise<void>
  /** Removes the stored GET response of a URL (path and query; all its variants). */
  purgeUrl(url: string): Promise<void>
  /** Removes every response tagged `tag` (tags header, `Surrogate-Key`, or `req.hints.tags`). Resolves with how many when the store knows. */
  purgeTag(tag: string): Promise<number | undefined>
  /** Removes every stored response. */
  purgeAll(): Promise<void>
  /** The store in use. */
  readonly store: CacheStore
  /**
   * The options this cache was made with, its store included (frozen): what a cache deriving
   * from it starts from, such as a front-mode route's cache built over `front({ cache: cache(...) })`.
   */
  readonly options: Readonly<CacheOptions>
}

/** What the primary key led to. */
type Lookup = Hit | { kind: 'miss'; fwd: 'uri-miss' | 'vary-miss'; marker: VaryMeta | undefined }
interface Hit {
  kind: 'hit'
  entry: PreparedResponse
  storeKey: string
  marker: VaryMeta | undefined
}

/** A GET or HEAD the cache may answer: its directives, whether it carries credentials, its key. */
interface Entrance {
  directives: RequestDirectives
  authenticated: boolean
  primaryKey: string
}

/** Why a GET or HEAD bypasses the cache (the Cache-Status `detail`). */
type BypassDetail = 'no-store' | 'authorization' | 'session-cookie' | 'key'

/** A stale entry being revalidated, and where it lives. */
interface StaleEntry {
  entry: PreparedResponse
  storeKey: string
}

/** What a fetch leaves for requests that waited on it. */
interface SharedOutcome {
  prepared: PreparedResponse
  /** Vary fields of the response, and the leader's normalized values for them. */
  fields: readonly string[] | undefined
  values: string
}

/** One forwarded exchange: the response for this request and what it will leave for waiters. */
interface Forwarded {
  response: BriskResponse
  outcome: Promise<SharedOutcome | undefined>
  /** The app failed and the stale entry answered in its place (stale-if-error). */
  staleOnError?: true
}

const EMPTY = Buffer.alloc(0)
// Fields a 304 carries (RFC 9110 §15.4.5), besides the cache's own Age and Cache-Status.
const NOT_MODIFIED_FIELDS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary']
// Vary markers remembered per process for one-round-trip hits: about 100 bytes each plus the key.
const MAX_MARKERS = 10_000
// How long a process waits between looks at the store while another process holds the fetch lock.
const PEER_POLL_MS = [10, 20, 40, 80, 160, 250]

/**
 * A shared HTTP cache in front of the app (RFC 9111), storing whole responses and serving hits
 * without calling the app. See the package README for the behaviour it guarantees.
 */
export function cache(options: CacheOptions = {}): ResponseCache {
  const o = resolveCacheOptions(options)
  const { store, metrics, clock } = o
  const settings: StoragePolicySettings = {
    ttl: o.ttl,
    staleWhileRevalidate: o.staleWhileRevalidate,
    staleIfError: o.staleIfError,
    shareAuthenticated: o.shareAuthenticated,
  }
  const coalescer = new Coalescer<SharedOutcome>()
  // Vary markers seen, by primary key (see lookup). Not for the memory store, where a read is no
  // round-trip at all; bounded, as every map that grows with the URLs requested.
  const markers = store.name === 'memory' ? undefined : new LRUCache<string, VaryMeta>({ max: MAX_MARKERS })
  let storeFailing = false

  const keyOf = (req: BriskRequest): string | undefined => {
    if (o.key === undefined) return defaultCacheKey('GET', req.url, o.query)
    // HEAD is answered from the GET entry (RFC 9110 §9.3.2): a key function that includes the
    // method, as keys should, must compute the GET's key for it.
    const key = o.key(req.method === 'HEAD' ? { ...req, method: 'GET' } : req)
    return typeof key === 'string' && key !== '' ? key : undefined
  }

  const storeFault = (error: unknown): void => {
    // Stores behind a BackendGuard log once per incident themselves; anything else is logged here
    // once until the store answers again, never once per request.
    if (!storeFailing && !(error instanceof Error && error.name === 'BackendUnavailableError')) {
      o.logger.warn({ err: error, store: store.name }, 'brisk cache: store failing; bypassing it')
    }
    storeFailing = true
  }

  /**
   * Cache-Status (RFC 9211) and Age on an answer the app just made. The issue asks for both on
   * every response the cache touches; as Varnish and Fastly do, a fresh answer says `Age: 0`
   * (or keeps the Age an upstream cache gave it): it is that old, as far as this cache knows.
   */
  const annotate = (res: BriskResponse, info: CacheStatusInfo): BriskResponse => {
    const ours = formatCacheStatus(o.name, info)
    const upstream = headerValue(res.headers, 'cache-status')
    res.headers['cache-status'] = upstream === undefined ? ours : `${upstream}, ${ours}`
    if (res.headers.age === undefined) res.headers.age = '0'
    return res
  }

  /** The tags headers are for this cache only (like a CDN's): clients never see them. */
  const stripTags = (res: BriskResponse): void => {
    if (res.headers[o.tagsHeader] !== undefined) delete res.headers[o.tagsHeader]
    if (res.headers['surrogate-key'] !== undefined) delete res.headers['surrogate-key']
  }

  const bypass = async (next: () => Promise<BriskResponse>, detail: string): Promise<BriskResponse> => {
    metrics.inc('cache.bypass')
    const res = await next()
    stripTags(res)
    return annotate(res, { fwd: 'bypass', detail })
  }

  /**
   * An entry past the time the store was told to keep it is a miss, even if the store still has
   * it: the store's clock (Redis, lru-cache) is not the cache's, which tests move by hand.
   */
  const expired = (entry: PreparedResponse): boolean => entry.keptUntil < clock.now()

  const lookup = async (primaryKey: string, req: BriskRequest): Promise<Lookup> => {
    // A response that varies takes two reads, its marker then its variant. When this process has
    // seen the marker, both are asked at once (one round-trip to a remote store); the variant
    // read is only used if the marker read confirms it (same variant set, same fields).
    const known = markers?.get(primaryKey)
    const guess = known === undefined ? undefined : variantKeyOf(primaryKey, known, req.headers)
    const [first, guessed] =
      guess === undefined
        ? [await store.get(primaryKey), undefined]
        : await Promise.all([store.get(primaryKey), store.get(guess)])
    storeFailing = false
    const marker = first === undefined ? undefined : asVaryMeta(first.meta)
    if (marker === undefined) {
      if (known !== undefined) markers?.delete(primaryKey)
      const entry = first === undefined ? undefined : prepareEntry(first)
      return entry === undefined || expired(entry)
        ? { kind: 'miss', fwd: 'uri-miss', marker: undefined }
        : { kind: 'hit', entry, storeKey: primaryKey, marker: undefined }
    }
    const storeKey = variantKeyOf(primaryKey, marker, req.headers)
    if (storeKey !== guess) markers?.set(primaryKey, marker)
    const found = storeKey === guess ? guessed : await store.get(storeKey)
    const entry = found === undefined ? undefined : prepareEntry(found)
    if (entry === undefined || expired(entry) || !encodingAcceptable(entry, marker.fields, req)) {
      return { kind: 'miss', fwd: 'vary-miss', marker }
    }
    return { kind: 'hit', entry, storeKey, marker }
  }

  /**
   * The hit, when a store holding entries in this process has it (`peek`): a lookup without a
   * promise. Undefined sends the request through {@link lookup}, which also finds misses.
   */
  const peekHit = (primaryKey: string, req: BriskRequest): Hit | undefined => {
    const first = store.peek?.(primaryKey)
    if (first === undefined) return undefined
    const marker = asVaryMeta(first.meta)
    if (marker === undefined) {
      const entry = prepareEntry(first)
      return entry === undefined || expired(entry)
        ? undefined
        : { kind: 'hit', entry, storeKey: primaryKey, marker: undefined }
    }
    const storeKey = variantKeyOf(primaryKey, marker, req.headers)
    const found = store.peek?.(storeKey)
    const entry = found === undefined ? undefined : prepareEntry(found)
    if (entry === undefined || expired(entry) || !encodingAcceptable(entry, marker.fields, req))
      return undefined
    return { kind: 'hit', entry, storeKey, marker }
  }

  // The Cache-Status of a fresh hit changes once a second (its ttl): made once per second, not
  // per hit, where building it was a tenth of the cache's own allocation on a hit.
  let freshTtl = Number.NaN
  let freshStatus = ''
  const freshHitStatus = (remainingMs: number): string => {
    const ttl = Math.trunc(remainingMs / 1000)
    if (ttl !== freshTtl) {
      freshStatus = formatCacheStatus(o.name, { hit: true, ttl })
      freshTtl = ttl
    }
    return freshStatus
  }

  /** The answer from a stored response; `info` is its Cache-Status, or what to make it of. */
  const serve = (
    entry: PreparedResponse,
    req: BriskRequest,
    info: CacheStatusInfo | string,
    now: number,
  ): BriskResponse => {
    const meta = entry.meta
    const age = Math.max(0, Math.floor((meta.initialAge + now - meta.storedAt) / 1000))
    const status = typeof info === 'string' ? info : formatCacheStatus(o.name, info)
    if (
      meta.status === 200 &&
      (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) &&
      fresh(req.headers, { etag: meta.etag, 'last-modified': meta.lastModified })
    ) {
      // RFC 9110 §13.2.2: the stored validators answer the client's conditional request.
      const headers: BriskHeaders = { age: String(age), 'cache-status': status }
      for (const field of NOT_MODIFIED_FIELDS) {
        const value = meta.headers[field]
        if (value !== undefined) headers[field] = value
      }
      return { status: 304, headers, body: null }
    }
    const headers: BriskHeaders = { ...entry.headers }
    headers.age = String(age)
    headers['cache-status'] = status
    const res: BriskResponse = {
      status: meta.status,
      headers,
      body: req.method === 'HEAD' ? null : entry.body,
    }
    if (meta.statusMessage !== undefined) res.statusMessage = meta.statusMessage
    return res
  }

  /** Writes a response (and, when it varies, its variant-set marker); resolves with its store key. */
  const write = async (
    primaryKey: string,
    marker: VaryMeta | undefined,
    fields: readonly string[] | undefined,
    req: BriskRequest,
    entry: StoreEntry,
    meta: ResponseMeta,
  ): Promise<void> => {
    const ttl = storeTtl(meta)
    const tags = meta.tags.length > 0 ? meta.tags : undefined
    try {
      if (fields === undefined) {
        await store.set(primaryKey, entry, { ttl, tags })
      } else {
        const id = marker !== undefined && sameFields(marker.fields, fields) ? marker.id : randomUUID()
        const markerMeta: VaryMeta = { kind: 'vary', fields: [...fields], id }
        await store.set(primaryKey, { meta: { ...markerMeta }, body: EMPTY }, { ttl })
        markers?.set(primaryKey, markerMeta)
        await store.set(variantKey(primaryKey, id, fields, req.headers), entry, { ttl, tags })
      }
      metrics.inc('cache.store')
    } catch (error) {
      storeFault(error)
    }
  }

  /**
   * Calls the app (conditionally when revalidating a stale entry), decides whether its response
   * may be stored, stores it, and answers: the app's response, or the stored one when the app
   * confirmed it (304) or failed within stale-if-error.
   */
  const forward = async (
    clientReq: BriskRequest,
    next: BriskNext,
    primaryKey: string,
    marker: VaryMeta | undefined,
    fwd: ForwardReason,
    authenticated: boolean,
    stale: StaleEntry | undefined,
  ): Promise<Forwarded> => {
    const forwarded = await forwardToApp(clientReq, next, primaryKey, marker, fwd, authenticated, stale)
    const res = forwarded.response
    if (
      stale === undefined &&
      res.status === 200 &&
      clientReq.method === 'GET' &&
      hasPreconditions(clientReq.headers) &&
      fresh(clientReq.headers, {
        etag: headerValue(res.headers, 'etag'),
        'last-modified': headerValue(res.headers, 'last-modified'),
      })
    ) {
      // The app was asked without the client's preconditions and its answer was not stored: the
      // client still gets the 304 its validators earn (RFC 9110 §13.2.2).
      if (res.body !== null && !Buffer.isBuffer(res.body)) res.body.destroy()
      const headers: BriskHeaders = {}
      for (const field of [...NOT_MODIFIED_FIELDS, 'age', 'cache-status']) {
        const value = res.headers[field]
        if (value !== undefined) headers[field] = value
      }
      return { response: { status: 304, headers, body: null }, outcome: forwarded.outcome }
    }
    return forwarded
  }

  const forwardToApp = async (
    clientReq: BriskRequest,
    next: BriskNext,
    primaryKey: string,
    marker: VaryMeta | undefined,
    fwd: ForwardReason,
    authenticated: boolean,
    stale: StaleEntry | undefined,
  ): Promise<Forwarded> => {
    metrics.inc('cache.miss')
    if (clientReq.method === 'GET') clientReq.hints.willStore = true
    // A revalidation passes a derived request down; an adapter may apply its validators to the
    // very header object the client's request shares, so keep the client's own view first.
    const req = stale === undefined ? clientReq : snapshot(clientReq)
    // A GET that may be stored asks the app for the full response, not for the client's 304
    // (which could not be stored): the stored entry then answers the client's preconditions.
    const conditional = clientReq.method === 'GET' && hasPreconditions(req.headers)
    let res: BriskResponse
    try {
      res = await (stale !== undefined
        ? next(conditionalRequest(req, stale.entry))
        : conditional
          ? next(withoutPreconditions(req))
          : next())
    } catch (error) {
      if (stale !== undefined && usableOnError(stale.entry, clock.now())) {
        // The app threw (Koa's middleware mode, a node:http listener): the error would otherwise
        // vanish behind the stale answer, so it is logged; its Cache-Status says 500, as where
        // the framework turns the throw into a 500 response (Express, front mode).
        o.logger.error({ err: error, url: req.url }, 'brisk cache: app failed; serving stale-if-error')
        metrics.inc('cache.stale')
        const info = { ...staleInfo(stale.entry, 'stale-if-error'), fwdStatus: 500 }
        const served = serve(stale.entry, req, info, clock.now())
        return { response: served, outcome: Promise.resolve(undefined), staleOnError: true }
      }
      throw error
    }
    if (stale !== undefined) {
      const now = clock.now()
      if (res.status >= 500 && usableOnError(stale.entry, now)) {
        if (res.body instanceof Readable) res.body.destroy()
        metrics.inc('cache.stale')
        const info = { ...staleInfo(stale.entry, 'stale-if-error'), fwdStatus: res.status }
        return {
          response: serve(stale.entry, req, info, now),
          outcome: Promise.resolve(undefined),
          staleOnError: true,
        }
      }
      if (res.status === 304) return revalidated(req, res, primaryKey, marker, authenticated, stale, now)
    }

    const tagsHeader = res.headers[o.tagsHeader]
    const surrogateKey = res.headers['surrogate-key']
    stripTags(res)
    if (req.method === 'HEAD')
      return { response: annotate(res, { fwd }), outcome: Promise.resolve(undefined) }
    const fields = parseVary(res.headers.vary) as readonly string[] | undefined
    const unkeyed = unkeyedRequestHeader(req.headers, fields, o.unkeyedHeaders)
    if (unkeyed !== undefined) {
      // The page may reflect a header the key ignores: storing it would serve one client's
      // (possibly forged) value to everyone.
      return {
        response: annotate(res, { fwd, detail: `unkeyed-${unkeyed}` }),
        outcome: Promise.resolve(undefined),
      }
    }
    const receivedAt = clock.now()
    const decision = decideStorage(
      res.status,
      res.headers,
      req.hints.cacheFor,
      authenticated,
      settings,
      receivedAt,
    )
    if (!decision.store) {
      return {
        response: annotate(res, { fwd, detail: decision.reason }),
        outcome: Promise.resolve(undefined),
      }
    }
    const lengthField = headerValue(res.headers, 'content-length')
    const declaredLength = lengthField === undefined ? undefined : Number(lengthField)
    const captured = captureBody(res.body, o.maxBodySize, declaredLength)
    res.body = captured.body
    const tags = collectTags(req.hints.tags, tagsHeader, surrogateKey)
    const meta = responseMeta(res, decision, receivedAt, tags, o.tagsHeader, req.hints.earlierFields)
    const values = fields === undefined ? '' : variantValues(fields, req.headers)

    const keep = async (bytes: Buffer | undefined): Promise<SharedOutcome | undefined> => {
      if (bytes === undefined) return undefined
      if (o.etag && meta.status === 200 && meta.etag === undefined) {
        // Hashed once here so that every hit, and every 304 answered for one, needs no hashing.
        const tag = generateEtag(bytes)
        meta.etag = tag
        meta.headers.etag = tag
        if (Buffer.isBuffer(res.body) || res.body === null) res.headers.etag = tag
      }
      const built = buildEntry(meta, bytes)
      await write(primaryKey, marker, fields, req, built.entry, meta)
      return { prepared: built.prepared, fields, values }
    }

    if (res.body === null || Buffer.isBuffer(res.body)) {
      // A complete body: store before answering, so the next request finds it.
      const outcome = await keep(await captured.bytes)
      if (outcome !== undefined && conditional) {
        // The client's own preconditions, answered from what was just stored (a 304 when they match).
        const answer = serve(outcome.prepared, req, { fwd, stored: true }, clock.now())
        return { response: answer, outcome: Promise.resolve(outcome) }
      }
      annotate(res, outcome === undefined ? { fwd, detail: 'too-large' } : { fwd, stored: true })
      return { response: res, outcome: Promise.resolve(outcome) }
    }
    // A stream: it flows to the client now, and is stored when (and if) it ends within the limit.
    annotate(res, { fwd })
    return { response: res, outcome: captured.bytes.then(keep, () => undefined) }
  }

  /** The app answered our conditional request with 304: refresh the stored headers, reuse the body. */
  const revalidated = async (
    req: BriskRequest,
    res: BriskResponse,
    primaryKey: string,
    marker: VaryMeta | undefined,
    authenticated: boolean,
    stale: StaleEntry,
    now: number,
  ): Promise<Forwarded> => {
    const merged = mergeRevalidation(stale.entry.meta, res.headers)
    if (merged === undefined) {
      // The 304 is not about the stored response (another validator): it answers the client's own
      // conditional request, so it goes to the client as it is.
      return {
        response: annotate(res, { fwd: 'stale', fwdStatus: 304 }),
        outcome: Promise.resolve(undefined),
      }
    }
    const decision = decideStorage(
      stale.entry.meta.status,
      merged,
      req.hints.cacheFor,
      authenticated,
      settings,
      now,
    )
    if (!decision.store) {
      try {
        await store.delete(stale.storeKey)
      } catch (error) {
        storeFault(error)
      }
      const served: BriskResponse = {
        status: stale.entry.meta.status,
        headers: { ...merged, 'content-length': String(stale.entry.body.length) },
        body: req.method === 'HEAD' ? null : stale.entry.body,
      }
      return {
        response: annotate(served, { fwd: 'stale', fwdStatus: 304, detail: decision.reason }),
        outcome: Promise.resolve(undefined),
      }
    }
    metrics.inc('cache.revalidated')
    const meta: ResponseMeta = {
      ...stale.entry.meta,
      headers: storableHeaders(merged, o.tagsHeader, req.hints.earlierFields),
      storedAt: now,
      lifetime: decision.lifetime,
      initialAge: decision.initialAge,
      staleWhileRevalidate: decision.staleWhileRevalidate,
      staleIfError: decision.staleIfError,
      mustRevalidate: decision.mustRevalidate,
      shared: decision.shared,
    }
    const etag = headerValue(merged, 'etag')
    const lastModified = headerValue(merged, 'last-modified')
    if (etag !== undefined) meta.etag = etag
    if (lastModified !== undefined) meta.lastModified = lastModified
    const built = buildEntry(meta, stale.entry.body)
    const fields = marker?.fields
    await write(primaryKey, marker, fields, req, built.entry, meta)
    const values = fields === undefined ? '' : variantValues(fields, req.headers)
    const response = serve(built.prepared, req, { fwd: 'stale', fwdStatus: 304, stored: true }, now)
    return { response, outcome: Promise.resolve({ prepared: built.prepared, fields, values }) }
  }

  /**
   * Forwards a request that found nothing usable, letting identical concurrent requests wait for
   * one fetch (in this process, and across processes through `store.lock` when the store has it).
   */
  const fetchCoalesced = async (
    req: BriskRequest,
    next: BriskNext,
    primaryKey: string,
    marker: VaryMeta | undefined,
    fwd: ForwardReason,
    authenticated: boolean,
    stale: StaleEntry | undefined,
  ): Promise<BriskResponse> => {
    const timeout = o.coalesceTimeout
    if (timeout === undefined || req.method === 'HEAD') {
      return (await forward(req, next, primaryKey, marker, fwd, authenticated, stale)).response
    }
    const flightKey =
      stale?.storeKey ??
      (marker === undefined ? primaryKey : variantKey(primaryKey, marker.id, marker.fields, req.headers))
    const pending = coalescer.inFlight(flightKey)
    if (pending !== undefined) {
      const shared = await within(pending, timeout)
      if (shared !== undefined && sharedFits(shared, req, authenticated)) {
        metrics.inc('cache.coalesced')
        return serve(shared.prepared, req, { fwd, collapsed: true }, clock.now())
      }
      return (await forward(req, next, primaryKey, marker, fwd, authenticated, stale)).response
    }
    const settle = coalescer.lead(flightKey)
    let release: ReleaseLock | undefined
    try {
      const lock = store.lock?.bind(store)
      if (lock !== undefined) {
        const lockKey = `lock:${flightKey}`
        let peerHolds = false
        try {
          release = await lock(lockKey, timeout)
          peerHolds = release === undefined
        } catch (error) {
          storeFault(error)
        }
        if (peerHolds) {
          // Another process is fetching this response: wait for it to land in the store, or for
          // the lock to come free without it, and then fetch here.
          const waited = await waitForPeer(primaryKey, req, authenticated, timeout, stale, lock, lockKey)
          if (waited.shared !== undefined) {
            settle(waited.shared)
            metrics.inc('cache.coalesced')
            return serve(waited.shared.prepared, req, { fwd, collapsed: true }, clock.now())
          }
          release = waited.release
        }
        if (release !== undefined) {
          // A peer releases the lock only once it has stored its response, which may have been
          // after our last look: look once more before calling the app a second time.
          const shared = await storedByPeer(primaryKey, req, authenticated, stale).catch(
            (error: unknown) => void storeFault(error),
          )
          if (shared !== undefined) {
            settle(shared)
            const unlock = release
            release = undefined
            void unlock().catch(storeFault)
            metrics.inc('cache.coalesced')
            return serve(shared.prepared, req, { fwd, collapsed: true }, clock.now())
          }
        }
      }
      const forwarded = await forward(req, next, primaryKey, marker, fwd, authenticated, stale)
      const unlock = release
      release = undefined
      forwarded.outcome.then(
        (outcome) => {
          settle(outcome)
          void unlock?.().catch(storeFault)
        },
        () => {
          settle(undefined)
          void unlock?.().catch(storeFault)
        },
      )
      return forwarded.response
    } catch (error) {
      settle(undefined)
      if (release !== undefined) void release().catch(storeFault)
      throw error
    }
  }

  /**
   * Polls the store while a peer process holds the fetch lock, up to `timeout` ms. Resolves with
   * what the peer stored, or with the lock once the peer let go of it without storing anything
   * this request may use (an answer that may not be stored, an error): then this request fetches
   * for itself at once, rather than at the deadline.
   */
  const waitForPeer = async (
    primaryKey: string,
    req: BriskRequest,
    authenticated: boolean,
    timeout: number,
    stale: StaleEntry | undefined,
    lock: NonNullable<CacheStore['lock']>,
    lockKey: string,
  ): Promise<{ shared?: SharedOutcome; release?: ReleaseLock }> => {
    // Real time, not the cache clock: this is how long this request waits, not an age.
    const deadline = Date.now() + timeout
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const pause = PEER_POLL_MS[Math.min(attempt, PEER_POLL_MS.length - 1)] as number
      await new Promise((resolve) => setTimeout(resolve, pause))
      try {
        const shared = await storedByPeer(primaryKey, req, authenticated, stale)
        if (shared !== undefined) return { shared }
        const release = await lock(lockKey, timeout)
        if (release !== undefined) return { release }
      } catch (error) {
        storeFault(error)
        return {}
      }
    }
    return {}
  }

  /**
   * What a peer fetched for this request and stored, if it is there yet: a fresh entry this
   * request may use, newer than the one it found stale (or had to refetch because of its own
   * directives). The entry it already had never counts: serving that would serve stale.
   */
  const storedByPeer = async (
    primaryKey: string,
    req: BriskRequest,
    authenticated: boolean,
    stale: StaleEntry | undefined,
  ): Promise<SharedOutcome | undefined> => {
    const found = await lookup(primaryKey, req)
    if (found.kind !== 'hit' || (authenticated && !found.entry.meta.shared)) return undefined
    if (found.entry.freshUntil <= clock.now()) return undefined
    if (stale !== undefined && found.entry.meta.storedAt <= stale.entry.meta.storedAt) return undefined
    const fields = found.marker?.fields
    return {
      prepared: found.entry,
      fields,
      values: fields === undefined ? '' : variantValues(fields, req.headers),
    }
  }

  /**
   * stale-while-revalidate (RFC 5861 §3) where the adapter can re-enter the app (`req.refresh`):
   * a copy of the request goes through the whole app in the background, where this cache sees
   * it as a refresh (`hints.refresh`), forwards it and stores the answer; every request meanwhile,
   * this one included, is answered stale at once.
   */
  const refreshInBackground = (storeKey: string, refresh: () => Promise<void>): void => {
    // The slot is held until the refresh ends (the adapters end it by REFRESH_DEADLINE_MS), so a
    // slow app gets one refresh at a time, not one more per coalesce timeout.
    const settle = coalescer.lead(storeKey)
    metrics.inc('cache.refresh')
    refresh().then(
      () => settle(undefined),
      () => settle(undefined),
    )
  }

  /**
   * stale-while-revalidate without a way back into the app (the middleware called directly):
   * one request refreshes the stale entry, waiting for the app itself, while every other request
   * for it is answered stale at once.
   */
  const refreshStale = async (
    req: BriskRequest,
    next: BriskNext,
    primaryKey: string,
    marker: VaryMeta | undefined,
    authenticated: boolean,
    stale: StaleEntry,
  ): Promise<BriskResponse> => {
    const settle = coalescer.lead(stale.storeKey)
    try {
      const forwarded = await forward(req, next, primaryKey, marker, 'stale', authenticated, stale)
      forwarded.outcome.then(settle, () => settle(undefined))
      return forwarded.response
    } catch (error) {
      settle(undefined)
      throw error
    }
  }

  /**
   * The store failed this request's lookup: the app answers and nothing is stored, but identical
   * concurrent requests in this process still share one app call, as misses do (the app needs
   * that most while its cache is down). Only what the cache would have stored is shared; for
   * anything else the waiters go to the app themselves.
   */
  const withoutStore = async (
    req: BriskRequest,
    next: BriskNext,
    primaryKey: string,
    authenticated: boolean,
  ): Promise<BriskResponse> => {
    const timeout = o.coalesceTimeout
    if (timeout === undefined || req.method === 'HEAD') return bypass(next, 'store-unavailable')
    // The same flight as a miss whose lookup worked (the variant is unknown here: sharedFits
    // checks it), so requests on either side of a flapping store still share one app call.
    const pending = coalescer.inFlight(primaryKey)
    if (pending !== undefined) {
      const shared = await within(pending, timeout)
      if (shared !== undefined && sharedFits(shared, req, authenticated)) {
        metrics.inc('cache.bypass')
        metrics.inc('cache.coalesced')
        const info: CacheStatusInfo = { fwd: 'bypass', collapsed: true, detail: 'store-unavailable' }
        return serve(shared.prepared, req, info, clock.now())
      }
      return bypass(next, 'store-unavailable')
    }
    const settle = coalescer.lead(primaryKey)
    try {
      const res = await bypass(next, 'store-unavailable')
      settle(shareable(req, res, authenticated))
      return res
    } catch (error) {
      settle(undefined)
      throw error
    }
  }

  /** A complete response the cache would have stored, ready to answer a waiting request. */
  const shareable = (
    req: BriskRequest,
    res: BriskResponse,
    authenticated: boolean,
  ): SharedOutcome | undefined => {
    const body = res.body
    if (body !== null && !(Buffer.isBuffer(body) && body.length <= o.maxBodySize)) return undefined
    const fields = parseVary(res.headers.vary) as readonly string[] | undefined
    if (unkeyedRequestHeader(req.headers, fields, o.unkeyedHeaders) !== undefined) return undefined
    const now = clock.now()
    const decision = decideStorage(res.status, res.headers, req.hints.cacheFor, authenticated, settings, now)
    if (!decision.store) return undefined
    return {
      prepared: prepareResponse(
        responseMeta(res, decision, now, [], o.tagsHeader, req.hints.earlierFields),
        body ?? EMPTY,
      ),
      fields,
      values: fields === undefined ? '' : variantValues(fields, req.headers),
    }
  }

  const invalidate = async (req: BriskRequest, res: BriskResponse): Promise<void> => {
    const keys = new Set<string>()
    for (const url of invalidatedTargets(req.url, req.headers, res.headers)) {
      const key = keyOf(syntheticGet(url, req))
      if (key !== undefined) keys.add(key)
    }
    try {
      await Promise.all([...keys].map((key) => store.delete(key)))
    } catch (error) {
      storeFault(error)
    }
  }

  /** Where a GET or HEAD stands before the store is asked: its key, or why it bypasses the cache. */
  const enter = (req: BriskRequest): Entrance | BypassDetail => {
    const directives = requestDirectives(req.headers)
    if (directives.noStore) return 'no-store'
    const authorization = req.headers.authorization !== undefined
    const authenticated = authorization || hasSessionCookie(req.headers.cookie, o.sessionCookies)
    if (authenticated && !o.shareAuthenticated) return authorization ? 'authorization' : 'session-cookie'
    const primaryKey = keyOf(req)
    if (primaryKey === undefined) return 'key'
    return { directives, authenticated, primaryKey }
  }

  // Entrances worked out by answerNow for requests it left to the middleware, which runs next for
  // the same request: a key function runs once per request, whichever path answers it.
  const enteredBefore = new WeakMap<BriskRequest, Entrance | BypassDetail>()

  /**
   * The fresh hit of {@link middleware}, without a promise when the store holds its entries in
   * this process (`peek`); `undefined` for everything else, which the middleware then handles.
   */
  const answerNow: AnswerNow = (req) => {
    const method = req.method
    if ((method !== 'GET' && method !== 'HEAD') || req.hints.refresh === true) return undefined
    const entrance = enter(req)
    if (typeof entrance !== 'string') {
      const found = peekHit(entrance.primaryKey, req)
      const entry = found?.entry
      const now = clock.now()
      const remaining = entry === undefined ? 0 : entry.freshUntil - now
      if (
        entry !== undefined &&
        remaining > 0 &&
        (!entrance.authenticated || entry.meta.shared) &&
        !requestForbidsReuse(entrance.directives, entry.meta, remaining, now)
      ) {
        metrics.inc('cache.hit')
        return serve(entry, req, freshHitStatus(remaining), now)
      }
    }
    enteredBefore.set(req, entrance)
    return undefined
  }

  const middleware = async (
    req: BriskRequest,
    next: () => Promise<BriskResponse>,
  ): Promise<BriskResponse> => {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      // Passed through, but the tags headers are addressed to this cache whatever the method
      // (an app may tag every response in one place): they never reach the client.
      const res = await next()
      stripTags(res)
      // RFC 9111 §4.4: a successful unsafe request invalidates what is stored for its target.
      if (o.methods.has(method) && res.status >= 200 && res.status < 400) await invalidate(req, res)
      return res
    }
    let entrance = enteredBefore.get(req)
    if (entrance === undefined) entrance = enter(req)
    else enteredBefore.delete(req)
    if (typeof entrance === 'string') return bypass(next, entrance)
    const { directives, authenticated, primaryKey } = entrance

    let found: Lookup | undefined = peekHit(primaryKey, req)
    if (found === undefined) {
      try {
        found = await lookup(primaryKey, req)
      } catch (error) {
        storeFault(error)
        return withoutStore(req, next, primaryKey, authenticated)
      }
    }

    if (req.hints.refresh === true && method === 'GET') {
      // A refresh this cache started: never answered from the store; forwarded (conditionally
      // on the stored validators when there is an entry) and stored.
      const stale = found.kind === 'hit' ? { entry: found.entry, storeKey: found.storeKey } : undefined
      const refreshed = await forward(req, next, primaryKey, found.marker, 'stale', authenticated, stale)
      const response = refreshed.response
      if (stale !== undefined && response.status < 500 && refreshed.staleOnError !== true) {
        // The app's answer may no longer be stored (it now says no-store, a takedown): the stale
        // entry must not go on answering every client for the rest of its window. (A streamed
        // answer settles its outcome only once written, so this is not awaited.) An app that
        // failed is another matter: the entry is what stale-if-error answers with meanwhile.
        void refreshed.outcome
          .then(async (outcome) => {
            if (outcome === undefined) await store.delete(stale.storeKey)
          })
          .catch(storeFault)
      }
      return response
    }

    if (found.kind === 'miss') {
      if (directives.onlyIfCached) return onlyIfCachedMiss(o.name)
      return fetchCoalesced(req, next, primaryKey, found.marker, found.fwd, authenticated, undefined)
    }

    const entry = found.entry
    const meta = entry.meta
    const now = clock.now()
    if (authenticated && !meta.shared) {
      // RFC 9111 §3.5: only a response marked public or s-maxage may answer an authenticated request.
      if (directives.onlyIfCached) return onlyIfCachedMiss(o.name)
      return (await forward(req, next, primaryKey, found.marker, 'request', authenticated, undefined))
        .response
    }
    const remaining = entry.freshUntil - now
    const stale: StaleEntry = { entry, storeKey: found.storeKey }
    if (requestForbidsReuse(directives, meta, remaining, now)) {
      if (directives.onlyIfCached) return onlyIfCachedMiss(o.name)
      return fetchCoalesced(req, next, primaryKey, found.marker, 'request', authenticated, stale)
    }
    if (remaining > 0) {
      metrics.inc('cache.hit')
      return serve(entry, req, freshHitStatus(remaining), now)
    }
    if (!meta.mustRevalidate) {
      if (directives.maxStale !== undefined && -remaining <= directives.maxStale * 1000) {
        metrics.inc('cache.hit')
        return serve(entry, req, { hit: true, ttl: remaining / 1000, detail: 'max-stale' }, now)
      }
      if (-remaining < meta.staleWhileRevalidate) {
        if (method === 'GET' && coalescer.inFlight(stale.storeKey) === undefined) {
          // A refresh carries no credentials: an authenticated request refreshes in its own exchange.
          const refresh = authenticated ? undefined : req.refresh
          if (refresh === undefined) {
            return refreshStale(req, next, primaryKey, found.marker, authenticated, stale)
          }
          refreshInBackground(stale.storeKey, refresh)
        }
        metrics.inc('cache.stale')
        return serve(entry, req, staleInfo(entry, 'stale-while-revalidate', now), now)
      }
    }
    if (directives.onlyIfCached) return onlyIfCachedMiss(o.name)
    return fetchCoalesced(req, next, primaryKey, found.marker, 'stale', authenticated, stale)
  }

  const staleInfo = (entry: PreparedResponse, detail: string, now = clock.now()): CacheStatusInfo => ({
    hit: true,
    ttl: (entry.freshUntil - now) / 1000,
    detail,
  })

  const usableOnError = (entry: PreparedResponse, now: number): boolean =>
    !entry.meta.mustRevalidate && now - entry.freshUntil < entry.meta.staleIfError

  const purgeKey = async (key: string): Promise<void> => {
    metrics.inc('cache.purge')
    await store.delete(key)
  }

  return Object.assign(withAnswerNow(middleware, answerNow), {
    purgeKey,
    async purgeUrl(url: string): Promise<void> {
      const key = keyOf(syntheticGet(url, undefined))
      if (key !== undefined) await purgeKey(key)
    },
    async purgeTag(tag: string): Promise<number | undefined> {
      metrics.inc('cache.purge')
      return store.deleteByTag(tag)
    },
    async purgeAll(): Promise<void> {
      metrics.inc('cache.purge')
      await store.clear()
    },
    store,
    options: Object.freeze({ ...options, store }),
  })
}

/** Whether the request's own directives forbid reusing the stored response without the app (RFC 9111 §5.2.1). */
function requestForbidsReuse(
  directives: RequestDirectives,
  meta: ResponseMeta,
  remaining: number,
  now: number,
): boolean {
  if (directives.noCache) return true
  if (directives.maxAge !== undefined && meta.initialAge + now - meta.storedAt > directives.maxAge * 1000)
    return true
  return directives.minFresh !== undefined && remaining < directives.minFresh * 1000
}

/** RFC 9111 §5.2.1.7: `only-if-cached` and nothing usable stored. */
function onlyIfCachedMiss(name: string): BriskResponse {
  return {
    status: 504,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      age: '0',
      'cache-status': formatCacheStatus(name, { detail: 'only-if-cached' }),
    },
    body: Buffer.from('Gateway Timeout: not in cache (only-if-cached)\n'),
  }
}

/**
 * The request passed down to revalidate a stale entry: the client's, with the entry's validators
 * in place of the client's own (RFC 9111 §4.3.1); without an entry, a plain copy.
 */
function conditionalRequest(req: BriskRequest, entry: PreparedResponse | undefined): BriskRequest {
  const headers: Record<string, string | string[] | undefined> = { ...req.headers }
  if (entry !== undefined) {
    delete headers['if-none-match']
    delete headers['if-modified-since']
    delete headers['if-range']
    if (entry.meta.etag !== undefined) headers['if-none-match'] = entry.meta.etag
    if (entry.meta.lastModified !== undefined) headers['if-modified-since'] = entry.meta.lastModified
  }
  const derived: BriskRequest = {
    method: req.method,
    url: req.url,
    headers,
    clientAddress: req.clientAddress,
    hints: req.hints,
    ...(req.raw === undefined ? {} : { raw: req.raw }),
    ...(req.signal === undefined ? {} : { signal: req.signal }),
  }
  return derived
}

/** Whether the client's GET is conditional on validators (RFC 9110 §13.1.2, §13.1.3). */
function hasPreconditions(headers: BriskRequest['headers']): boolean {
  return headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined
}

/** The request without the validators a cache must not pass on when it wants the full response. */
function withoutPreconditions(req: BriskRequest): BriskRequest {
  const derived = conditionalRequest(req, undefined)
  const headers = derived.headers as Record<string, string | string[] | undefined>
  delete headers['if-none-match']
  delete headers['if-modified-since']
  return derived
}

/** The request with a copy of its header fields, as the client sent them. */
function snapshot(req: BriskRequest): BriskRequest {
  return conditionalRequest(req, undefined)
}

/** A GET for `url` as the key function sees it (for invalidation and purges by URL). */
function syntheticGet(url: string, from: BriskRequest | undefined): BriskRequest {
  return {
    method: 'GET',
    url,
    headers: from?.headers ?? {},
    clientAddress: from?.clientAddress ?? '',
    hints: {},
  }
}

/** Whether a stored variant's coding is one the client accepts (when it varies on Accept-Encoding). */
function encodingAcceptable(entry: PreparedResponse, fields: readonly string[], req: BriskRequest): boolean {
  if (!fields.includes('accept-encoding')) return true
  return acceptsEncoding(
    headerValue(req.headers, 'accept-encoding'),
    headerValue(entry.meta.headers, 'content-encoding'),
  )
}

/** Whether the response another request fetched also fits this one (same variant, same audience). */
function sharedFits(shared: SharedOutcome, req: BriskRequest, authenticated: boolean): boolean {
  if (authenticated && !shared.prepared.meta.shared) return false
  if (shared.fields === undefined) return true
  return (
    variantValues(shared.fields, req.headers) === shared.values &&
    encodingAcceptable(shared.prepared, shared.fields, req)
  )
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, i) => field === b[i])
}
