import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { BriskOptionError } from '@brisk/core'
import { front as frontOf, type FrontListener, type FrontOptions } from '@brisk/node'
import proxyAddr from 'proxy-addr'

/** Options of {@link front}: all of `@brisk/node`'s front options except the client address, which follows the app's `trust proxy`. */
export type ExpressFrontOptions = Omit<FrontOptions, 'trustProxy' | 'clientAddress'>

/** What front mode needs of an Express 4/5 app: it is a request listener with settings. */
export interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void
  settings: Record<string, unknown>
}

/**
 * The client address exactly as Express computes `req.ip`, read from the app's settings on
 * every request so a later `app.set('trust proxy', …)` counts, as it does for `req.ip`. With the
 * default (`trust proxy` off) no header is parsed at all.
 */
export function expressClientAddress(app: ExpressApp): (req: IncomingMessage) => string {
  return (req) => {
    const settings = app.settings
    const trust = settings['trust proxy fn']
    if (settings['trust proxy'] === false || typeof trust !== 'function')
      return req.socket.remoteAddress ?? ''
    return proxyAddr(req, trust as (address: string, hop: number) => boolean)
  }
}

/**
 * Front mode for Express: brisk wraps the app (itself a request listener) and answers what its
 * stores can answer — fresh hits, 304s from stored validators, HEAD from the GET entry, 429s —
 * without entering Express; everything else runs the app and its response is captured and
 * stored as in middleware mode. `http.createServer(front(app, { cache: { ttl: '30s' } }))`.
 */
export function front(app: ExpressApp, options: ExpressFrontOptions = {}): FrontListener {
  if (typeof app !== 'function' || typeof app.settings !== 'object' || app.settings === null) {
    throw new BriskOptionError('app', app, 'an Express application (express())')
  }
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('options', options, 'an object of front options')
  }
  for (const name of ['trustProxy', 'clientAddress']) {
    if (name in options) {
      throw new BriskOptionError(
        name,
        (options as Record<string, unknown>)[name],
        "nothing: front mode follows the app's own app.set('trust proxy', …)",
      )
    }
  }
  return frontOf(app, { ...options, clientAddress: expressClientAddress(app) })
}

/** `http.createServer(front(app, options)).listen(port)`: the listening server. */
export function listen(app: ExpressApp, port: number, options: ExpressFrontOptions = {}): Server {
  return createServer(front(app, options)).listen(port)
}
