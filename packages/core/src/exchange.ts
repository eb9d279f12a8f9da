import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'

/** A header value as Node keeps it: most headers are strings, `set-cookie` is a list. */
export type HeaderValue = string | string[]

/** Header fields keyed by lower-case name. */
export type BriskHeaders = Record<string, HeaderValue | undefined>

/** Request header fields exactly as `node:http` parses them (lower-case names). */
export type BriskRequestHeaders = Readonly<Record<string, string | string[] | undefined>>

/**
 * Typed hints that concerns pass to each other through the exchange, the way HTTP
 * intermediaries cooperate through headers. Concerns never import each other; they
 * read and write these fields.
 */
export interface BriskHints {
  /** Set by the cache before it calls the app: the response is about to be stored, so a
   * compressor may spend more effort once because every hit reuses the result. */
  willStore?: boolean
  /** Tags the app attached to this response (e.g. `post:42`), for purging by tag. */
  tags?: Set<string>
  /** Freshness the app declared through the request-context helper (`cacheFor`). */
  cacheFor?: CacheForHint
  /**
   * This exchange is a background refresh brisk sent through the app itself
   * (stale-while-revalidate), not a client's request: caches forward it to the app and store
   * the answer, limiters do not count it, and nobody reads the response.
   */
  refresh?: boolean
  /**
   * Fields middleware outside brisk had set on the response when the app was about to run (a
   * request id, CORS): they belong to this exchange, not to the representation, so a cache does
   * not store those the response still carries unchanged. Set by the adapters; absent when there
   * were none.
   */
  earlierFields?: BriskHeaders
}

/** What a handler declared with `cacheFor('5m', { swr: '1m', tags })`, in milliseconds. */
export interface CacheForHint {
  /** Shared-cache lifetime in ms. */
  ttl: number
  /** stale-while-revalidate window in ms. */
  staleWhileRevalidate?: number
  /** stale-if-error window in ms. */
  staleIfError?: number
  /** `private` responses are never stored by a shared cache. */
  private?: boolean
}

/** The framework-neutral request every brisk middleware sees. */
export interface BriskRequest {
  /** Upper-case method, e.g. `GET`. */
  readonly method: string
  /** Request target as received: path and query, e.g. `/posts?page=2`. */
  readonly url: string
  /** Request headers, lower-case names, as Node parsed them. */
  readonly headers: BriskRequestHeaders
  /** Client address after the adapter applied the framework's proxy-trust rules. */
  readonly clientAddress: string
  /** Hints shared between concerns for this exchange. */
  readonly hints: BriskHints
  /** The underlying Node request, when there is one (escape hatch; concerns should not need it). */
  readonly raw?: IncomingMessage
  /** Aborted when the client goes away before the response is complete. */
  readonly signal?: AbortSignal
  /**
   * Present when the adapter can send a copy of this GET through the whole app again, in the
   * background, as brisk's own refresh (`hints.refresh` set there): the cache's
   * stale-while-revalidate answers this request stale at once and refreshes through it.
   * Resolves when the app finished answering the copy; never rejects.
   */
  readonly refresh?: () => Promise<void>
}

/** A response body: bytes, a stream of bytes, or nothing. */
export type BriskBody = Buffer | Readable | null

/** The framework-neutral response every brisk middleware returns. */
export interface BriskResponse {
  status: number
  /** Response headers, lower-case names. `set-cookie` is a list. */
  headers: BriskHeaders
  body: BriskBody
  /** Reason phrase the app chose, if not the default for the status. */
  statusMessage?: string
}

/**
 * Calls the rest of the stack. `next(derived)` passes a derived request down (e.g. the cache's
 * conditional revalidation carrying its stored validators); adapters apply the derived header
 * fields to the app's request before the app runs.
 */
export type BriskNext = (req?: BriskRequest) => Promise<BriskResponse>

/** The onion: code before `await next()` sees the request, code after it sees the response. */
export type BriskMiddleware = (req: BriskRequest, next: BriskNext) => Promise<BriskResponse>
