import { deltaSeconds, parseCacheControl, type BriskHeaders, type CacheForHint } from '@brisk/core'
import CachePolicy from 'http-cache-semantics'
import { isVaryStorable, parseVary } from './vary.js'

/** Why a response was not stored; also the `detail` of its `Cache-Status`. */
export type NotStoredReason =
  | 'set-cookie'
  | 'vary'
  | 'private'
  | 'no-store'
  | 'no-cache'
  | 'authorization'
  | 'status'
  | 'no-freshness'
  | 'event-stream'

/** What the cache keeps about a storable response's lifetime, all in milliseconds. */
export interface Freshness {
  /** Freshness lifetime counted from when the response was generated (RFC 9111 §4.2.1). */
  lifetime: number
  /** Age the response already had when it reached the cache (its `Age` header), in ms. */
  initialAge: number
  /** stale-while-revalidate window after the lifetime (RFC 5861 §3). */
  staleWhileRevalidate: number
  /** stale-if-error window after the lifetime (RFC 5861 §4). */
  staleIfError: number
  /** `must-revalidate` / `proxy-revalidate`: never served stale (RFC 9111 §5.2.2.2, §5.2.2.8). */
  mustRevalidate: boolean
  /** `public` or `s-maxage`: the response may also answer authenticated requests (RFC 9111 §3.5). */
  shared: boolean
}

export type StorageDecision = ({ store: true } & Freshness) | { store: false; reason: NotStoredReason }

/** Settings of the cache that shape the decision. */
export interface StoragePolicySettings {
  /** Lifetime for responses without explicit freshness, ms; undefined: store only explicit freshness. */
  ttl: number | undefined
  /** Default stale-while-revalidate window, ms. */
  staleWhileRevalidate: number
  /** Default stale-if-error window, ms. */
  staleIfError: number
  /** Whether authenticated requests may share `public`/`s-maxage` responses. */
  shareAuthenticated: boolean
}

// RFC 9110 §15.1: status codes heuristically cacheable (206 is left out: brisk does not store ranges).
const HEURISTIC_STATUSES = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501])

/** Response header fields as http-cache-semantics reads them: one string each. */
function flatten(headers: BriskHeaders): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    flat[name] = typeof value === 'string' ? value : value.join(', ')
  }
  return flat
}

/**
 * Decides whether a response to a GET may be stored by a shared cache, and for how long
 * (RFC 9111 §3, §4.2.1). The RFC rules for method, status, `no-store`, `private` and
 * explicit expiry come from http-cache-semantics (`CachePolicy.storable()`, `maxAge()`), fed a
 * `Cache-Control` value re-serialized from core's hostile-input parser. brisk adds, conservatively:
 * never `Set-Cookie`, never `Vary: *`, never `no-cache` (it would need a validation on every
 * use), authenticated requests only with `public`/`s-maxage` when the user allowed it, and no
 * heuristic freshness: only explicit freshness, the route's `cacheFor`, or the `ttl` option.
 * `now` is the cache's clock (epoch ms): the time the response was received.
 */
export function decideStorage(
  status: number,
  headers: BriskHeaders,
  hint: CacheForHint | undefined,
  authenticated: boolean,
  settings: StoragePolicySettings,
  now: number = Date.now(),
): StorageDecision {
  if (headers['set-cookie'] !== undefined) return { store: false, reason: 'set-cookie' }
  // Server-sent events are a live feed for one client: replaying a finished stream would hand
  // one client's events (often per-user) to the next, as if new.
  if (isEventStream(headers['content-type'])) return { store: false, reason: 'event-stream' }
  if (!isVaryStorable(parseVary(headers.vary))) return { store: false, reason: 'vary' }
  if (hint?.private === true) return { store: false, reason: 'private' }
  const cc = parseCacheControl(headers['cache-control'])
  if (cc.has('no-store')) return { store: false, reason: 'no-store' }
  if (cc.has('private')) return { store: false, reason: 'private' }
  if (cc.has('no-cache')) return { store: false, reason: 'no-cache' }
  if (headers.pragma !== undefined && !headers['cache-control'] && /no-cache/i.test(String(headers.pragma))) {
    return { store: false, reason: 'no-cache' }
  }
  const sMaxAge = deltaSeconds(cc, 's-maxage')
  const shared = cc.has('public') || sMaxAge !== undefined
  if (authenticated && !(settings.shareAuthenticated && shared))
    return { store: false, reason: 'authorization' }

  const explicit = sMaxAge !== undefined || cc.has('max-age') || headers.expires !== undefined
  // The ttl option stands in for heuristic freshness, so it only applies where RFC 9110 §15.1
  // allows heuristics (statuses cacheable by default); a route hint is the app's explicit word.
  const fallback =
    hint !== undefined ? hint.ttl : explicit || !HEURISTIC_STATUSES.has(status) ? undefined : settings.ttl
  const policyHeaders = flatten(headers)
  policyHeaders['cache-control'] = serializeForPolicy(cc, fallback)
  // RFC 9110 §6.6.1: a response without Date is dated when received. Apps rarely set Date (Node
  // adds it when writing the head), and http-cache-semantics would read Expires against the wall
  // clock instead of the cache's own.
  if (policyHeaders.date === undefined) policyHeaders.date = new Date(now).toUTCString()
  const policy = new CachePolicy(
    { method: 'GET', headers: {} },
    { status, headers: policyHeaders },
    {
      shared: true,
      cacheHeuristic: 0,
      immutableMinTimeToLive: 0,
    },
  )
  if (!policy.storable()) return { store: false, reason: 'status' }

  const lifetime = fallback !== undefined ? fallback : policy.maxAge() * 1000
  const mustRevalidate = cc.has('must-revalidate') || cc.has('proxy-revalidate')
  const swr = mustRevalidate
    ? 0
    : (hint?.staleWhileRevalidate ??
      secondsToMs(deltaSeconds(cc, 'stale-while-revalidate')) ??
      settings.staleWhileRevalidate)
  const sie = mustRevalidate
    ? 0
    : (hint?.staleIfError ?? secondsToMs(deltaSeconds(cc, 'stale-if-error')) ?? settings.staleIfError)
  const ageHeader = Number.parseInt(String(headers.age ?? '0'), 10)
  const initialAge = Number.isFinite(ageHeader) && ageHeader > 0 ? ageHeader * 1000 : 0
  if (lifetime - initialAge <= 0 && swr <= 0 && sie <= 0) return { store: false, reason: 'no-freshness' }
  return {
    store: true,
    lifetime,
    initialAge,
    staleWhileRevalidate: swr,
    staleIfError: sie,
    mustRevalidate,
    shared,
  }
}

const EVENT_STREAM = /^\s*text\/event-stream\s*(?:;|$)/i

function isEventStream(type: BriskHeaders[string]): boolean {
  if (type === undefined) return false
  return EVENT_STREAM.test(typeof type === 'string' ? type : (type[0] ?? ''))
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000
}

/**
 * A `Cache-Control` value http-cache-semantics reads correctly: lower-case names, quoted lists
 * dropped (its parser splits on every comma), `proxy-revalidate` left out (it reads it as "not
 * cacheable"; brisk honours it as must-revalidate), and `s-maxage` standing in for a lifetime
 * brisk supplies (route hint or `ttl`) so that `storable()` sees explicit freshness.
 */
function serializeForPolicy(cc: Map<string, string | true>, fallback: number | undefined): string {
  const parts: string[] = []
  for (const [name, value] of cc) {
    if (name === 'proxy-revalidate' || !/^[a-z0-9-]+$/.test(name)) continue
    if (fallback !== undefined && (name === 's-maxage' || name === 'max-age')) continue
    parts.push(value === true || /[,"\s]/.test(value) ? name : `${name}=${value}`)
  }
  if (fallback !== undefined) parts.push(`s-maxage=${Math.max(1, Math.ceil(fallback / 1000))}`)
  return parts.join(', ')
}
