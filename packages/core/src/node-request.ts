import { IncomingMessage, type ServerResponse } from 'node:http'
import type { BriskHints, BriskRequest, BriskRequestHeaders } from './exchange.js'
import { refreshInBackground, type RefreshVia } from './background-refresh.js'
import { noteEarlierFields } from './earlier-fields.js'
import { bindHints, boundHints } from './request-context.js'

/** What an adapter knows about a Node request beyond the request itself. */
export interface NodeRequestInfo {
  /**
   * Client address after the framework's proxy-trust rules (Express `req.ip`, Koa `ctx.ip`), or a
   * function computing it from the Node request on first use: a cache hit never reads it, and on
   * Express `req.ip` walks `X-Forwarded-For` through proxy-addr on every call. A function made
   * once and given the request, rather than a closure over it, costs a hit no allocation.
   */
  clientAddress: string | ((raw: IncomingMessage) => string)
  /** Request target when the framework rewrote `req.url` (Express mounts); default `req.url`. */
  url?: string
  /**
   * `false`: fresh hints are not bound yet; the adapter binds them (`bindHints`) right before it
   * calls the app. A front-mode hit never calls it, and then pays for no WeakMap insertion (seen
   * in the hit-path profile). Hints an adapter further out bound are shared either way.
   * Default `true`.
   */
  bindHints?: boolean
  /**
   * The whole app's listener, for stale-while-revalidate refreshes sent through it in the
   * background (see {@link BriskRequest.refresh}). Without it the refreshing request waits for
   * the app itself.
   */
  refreshVia?: RefreshVia
}

const headersGetter = Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'headers')?.get
const { hasOwn } = Object

/**
 * `raw.headers`, through Node's own getter where that is what `raw.headers` would run: on
 * Express's `req` each property read on it misses V8's inline caches on every request (measured
 * with --log-ic), a few thousand instructions a hit; calling the getter taken once does not. An
 * object with headers of its own (a test double, a framework's request) is read as it is.
 */
function headersOf(raw: IncomingMessage): BriskRequestHeaders {
  return headersGetter === undefined || hasOwn(raw, 'headers')
    ? raw.headers
    : (headersGetter.call(raw) as BriskRequestHeaders)
}

/**
 * A {@link BriskRequest} over a Node request. The abort signal is made on first use only, so
 * the common request that never asks for it pays for no AbortController and no listener.
 */
class NodeBriskRequest implements BriskRequest {
  readonly method: string
  readonly url: string
  readonly headers: BriskRequestHeaders
  readonly hints: BriskHints
  readonly raw: IncomingMessage
  private readonly res: ServerResponse
  private readonly refreshVia: RefreshVia | undefined
  private controller: AbortController | undefined
  private address: string | ((raw: IncomingMessage) => string)

  constructor(raw: IncomingMessage, res: ServerResponse, info: NodeRequestInfo, hints: BriskHints) {
    this.raw = raw
    this.hints = hints
    this.res = res
    this.method = raw.method ?? 'GET'
    this.url = info.url ?? raw.url ?? '/'
    this.headers = headersOf(raw)
    this.address = info.clientAddress
    this.refreshVia = info.refreshVia
  }

  get clientAddress(): string {
    const address = this.address
    if (typeof address === 'string') return address
    const computed = address(this.raw)
    this.address = computed
    return computed
  }

  get refresh(): (() => Promise<void>) | undefined {
    const listener = this.refreshVia?.(this.raw)
    if (listener === undefined) return undefined
    return () => refreshInBackground(listener, this.raw, this.url)
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController()
      this.controller = controller
      const res = this.res
      // 'close' also follows a completed response; only a close before the last byte was
      // handed to the socket means the client went away.
      if (res.closed) {
        if (!res.writableFinished) controller.abort()
      } else {
        res.once('close', () => {
          if (!res.writableFinished) controller.abort()
        })
      }
    }
    return this.controller.signal
  }
}

/**
 * Makes the framework-neutral request for a Node request and binds its hints, so the
 * request-context helper (`requestContext(req).cacheFor(...)`) reaches this exchange.
 */
export function createBriskRequest(
  raw: IncomingMessage,
  res: ServerResponse,
  info: NodeRequestInfo,
): BriskRequest {
  // Adapters nested on one request (brisk in front of the app and again as its middleware)
  // share one set of hints: it is one exchange, and the handler's declarations reach both.
  const existing = boundHints(raw)
  const request = new NodeBriskRequest(raw, res, info, existing ?? {})
  if (existing === undefined && info.bindHints !== false) bindHints(raw, request.hints)
  return request
}

/**
 * Before the app runs: a middleware may have passed a derived request down with `next(derived)`
 * (the cache revalidating with its stored validators). Its header fields become the app's, by
 * replacing `raw.headers` — never mutating it, so the original BriskRequest keeps its own view.
 */
export function applyDerivedRequest(
  raw: IncomingMessage,
  original: BriskRequest,
  derived?: BriskRequest,
): void {
  if (derived === undefined || derived === original || derived.headers === original.headers) return
  raw.headers = derived.headers as IncomingMessage['headers']
}

/**
 * What every adapter does right before it runs the app for `original` (or the request a
 * middleware derived from it): the derived header fields become the app's, the exchange's hints
 * are bound so the request-context helper reaches them, and the fields set on `res` so far are
 * recorded as set before the app (earlier-fields).
 */
export function beforeApp(
  raw: IncomingMessage,
  res: ServerResponse,
  original: BriskRequest,
  derived?: BriskRequest,
): void {
  applyDerivedRequest(raw, original, derived)
  if (boundHints(raw) === undefined) bindHints(raw, original.hints)
  noteEarlierFields(res, original.hints)
}
