import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { BriskOptionError } from '@brisk/core'
import { front as frontOf, type FrontListener, type FrontOptions } from '@brisk/node'

/** Options of {@link front}: all of `@brisk/node`'s front options except the client address, which follows the app's `proxy` settings. */
export type KoaFrontOptions = Omit<FrontOptions, 'trustProxy' | 'clientAddress'>

/** What front mode needs of a Koa 2/3 app: its listener and its proxy settings. */
export interface KoaApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown
  proxy: boolean
  proxyIpHeader: string
  maxIpsCount: number
}

/**
 * The client address exactly as Koa computes `ctx.ip`: with `app.proxy` the first address of
 * `app.proxyIpHeader` (`X-Forwarded-For`), keeping only the last `app.maxIpsCount` entries when
 * set; otherwise (and when the header is absent) the socket address. Read per request, as Koa does.
 */
export function koaClientAddress(app: KoaApp): (req: IncomingMessage) => string {
  return (req) => {
    if (app.proxy) {
      const value = req.headers[app.proxyIpHeader.toLowerCase()]
      const header = Array.isArray(value) ? value.join(',') : value
      if (header) {
        let ips = header.split(',').map((ip) => ip.trim())
        if (app.maxIpsCount > 0) ips = ips.slice(-app.maxIpsCount)
        if (ips[0]) return ips[0]
      }
    }
    return req.socket.remoteAddress ?? ''
  }
}

/**
 * Front mode for Koa: brisk wraps `app.callback()` and answers what its stores can answer —
 * fresh hits, 304s from stored validators, HEAD from the GET entry, 429s — without entering
 * Koa; everything else runs the app and its response is captured and stored as in middleware
 * mode. The callback is built at the first request, so `app.use` calls made after `front()`
 * still count. `http.createServer(front(app, { cache: { ttl: '30s' } }))`.
 */
export function front(app: KoaApp, options: KoaFrontOptions = {}): FrontListener {
  if (typeof app !== 'object' || app === null || typeof app.callback !== 'function') {
    throw new BriskOptionError('app', app, 'a Koa application (new Koa())')
  }
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('options', options, 'an object of front options')
  }
  for (const name of ['trustProxy', 'clientAddress']) {
    if (name in options) {
      throw new BriskOptionError(
        name,
        (options as Record<string, unknown>)[name],
        "nothing: front mode follows the app's own app.proxy",
      )
    }
  }
  let callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined
  const listener = (req: IncomingMessage, res: ServerResponse): unknown =>
    (callback ??= app.callback())(req, res)
  return frontOf(listener, { ...options, clientAddress: koaClientAddress(app) })
}

/** `http.createServer(front(app, options)).listen(port)`: the listening server. */
export function listen(app: KoaApp, port: number, options: KoaFrontOptions = {}): Server {
  return createServer(front(app, options)).listen(port)
}
