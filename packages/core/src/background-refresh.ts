import type { IncomingMessage, ServerResponse } from 'node:http'
import inject from 'light-my-request'
import { bindHints } from './request-context.js'

/** A `node:http` request listener: the whole app a background refresh goes through. */
export type RefreshListener = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * Where an adapter sends a background refresh of `raw`: the listener of the whole app (the
 * wrapped listener in front mode, the root Express app, `app.callback()` for Koa), or
 * undefined when it cannot re-enter the app.
 */
export type RefreshVia = (raw: IncomingMessage) => RefreshListener | undefined

// Fields that made the client's request conditional or carried a body: a refresh asks for the
// full representation, and only a GET is ever refreshed.
// Cookie and Authorization too: only responses shared by every client are refreshed, and a
// refresh must not spend a client's credentials (a rotating session token whose new value would
// be thrown away with the refresh's response).
const DROPPED = new Set([
  'cookie',
  'authorization',
  'range',
  'connection',
  'upgrade',
  'te',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'content-length',
  'transfer-encoding',
  'expect',
])

/**
 * The listener of the server the request came in on, when it has exactly one: the whole app as
 * the client reached it, whatever mounted what (a sub-app behind a Router or a wrapper has no
 * `parent` chain to walk). Undefined otherwise: the cache then refreshes in the client's request.
 */
export const serverListener: RefreshVia = (raw) => {
  const server = (raw.socket as { server?: { listeners(event: string): unknown[] } } | null)?.server
  const listeners = server?.listeners('request')
  return listeners?.length === 1 ? (listeners[0] as RefreshListener) : undefined
}

/**
 * Sends a GET like `raw` through `listener` in the background, as brisk's own refresh
 * (stale-while-revalidate): a synthetic request (light-my-request, the request injector
 * Fastify's tests run on, which Express and Koa apps accept) with the client's header fields
 * minus its preconditions and the client's socket address (so the app's proxy trust computes
 * the same client), its hints bound as `{ refresh: true }` before the app sees it. The cache
 * inside the app forwards it and stores the answer; the response itself is discarded.
 *
 * Resolves when the app finished answering; never rejects (a failing refresh leaves the stale
 * entry in place, and the app's own error handling has already reported the failure).
 */
export function refreshInBackground(
  listener: RefreshListener,
  raw: IncomingMessage,
  url: string,
): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  for (const name in raw.headers) {
    const value = raw.headers[name]
    if (value !== undefined && !DROPPED.has(name)) headers[name] = value
  }
  // Over TLS the app must see TLS again (req.protocol, secure cookies, an HTTPS redirect),
  // or a refresh of an https page could store the app's redirect to https in its place.
  const encrypted = (raw.socket as { encrypted?: boolean } | null)?.encrypted === true
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    // The injector normalizes the target (`%22`, dot segments); the cache key is the client's.
    req.url = url
    bindHints(req, { refresh: true })
    if (encrypted) (req.socket as { encrypted?: boolean }).encrypted = true
    try {
      const result = listener(req, res)
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        ;(result as PromiseLike<unknown>).then(undefined, () => endFailed(res))
      }
    } catch {
      endFailed(res)
    }
  }
  // The body streams and is discarded as it comes (a page grown past what the cache stores is
  // never buffered here), and the whole refresh ends by the deadline whatever the app does.
  const signal = AbortSignal.timeout(REFRESH_DEADLINE_MS)
  const options: Parameters<typeof inject>[1] = {
    method: 'GET',
    url,
    headers,
    payloadAsStream: true,
    signal,
  }
  const remoteAddress = raw.socket?.remoteAddress
  if (remoteAddress !== undefined) options.remoteAddress = remoteAddress
  return new Promise<void>((resolve) => {
    const done = (): void => resolve()
    signal.addEventListener('abort', done, { once: true })
    inject(dispatch, options).then((response) => {
      const body = response.stream()
      body.once('end', done)
      body.once('close', done)
      body.once('error', done)
      body.resume()
    }, done)
  })
}

/** How long a background refresh may take, body included, before it is given up. */
export const REFRESH_DEADLINE_MS = 30_000

/** A bare listener that threw: the synthetic response must still end, or the refresh never settles. */
function endFailed(res: ServerResponse): void {
  if (res.writableEnded) return
  if (!res.headersSent) res.statusCode = 500
  res.end()
}
