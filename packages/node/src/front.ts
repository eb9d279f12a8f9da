import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { ResponseCache } from '@brisk/cache'
import { BriskOptionError } from '@brisk/core'
import { createFrontStack, type FrontStackOptions } from '@brisk/stack'
import { withBrisk, type NodeAdapterOptions, type NodeListener } from './with-brisk.js'

/** Options of {@link front}: the stack's (`rateLimit`, `conditional`, `cache`, `cacheControl`, `compress`, `logger`, `metrics`), front mode's (`routes`, `perRequestHeaders`, `onHit`) and the listener adapter's. */
export interface FrontOptions extends FrontStackOptions, Omit<NodeAdapterOptions, 'logger'> {}

/** A request listener with brisk in front; `.cache` is its response cache (purges), undefined when off. */
export type FrontListener = ((req: IncomingMessage, res: ServerResponse) => void) & {
  readonly cache: ResponseCache | undefined
}

const ADAPTER_KEYS = new Set(['trustProxy', 'clientAddress', 'bufferLimit', 'onError', 'observableHeaders'])

/** Splits front options into the stack's and the adapter's. */
export function splitFrontOptions(options: FrontOptions): {
  stack: FrontStackOptions
  adapter: NodeAdapterOptions
} {
  const stack: Record<string, unknown> = {}
  const adapter: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(options)) {
    if (ADAPTER_KEYS.has(name)) adapter[name] = value
    else stack[name] = value
  }
  if (options.logger !== undefined) adapter.logger = options.logger
  return { stack: stack as FrontStackOptions, adapter: adapter as NodeAdapterOptions }
}

/**
 * Front mode: brisk wraps a whole request listener (any `node:http` listener, an Express app,
 * a Koa `app.callback()`) and answers what its stores can answer — fresh hits, 304s from stored
 * validators, HEAD from the GET entry, 429s — without running it. Everything else goes to the
 * listener, whose response is captured and stored exactly as in middleware mode.
 */
export function front(listener: NodeListener, options: FrontOptions = {}): FrontListener {
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('options', options, 'an object of front options')
  }
  const { stack, adapter } = splitFrontOptions(options)
  const middleware = createFrontStack(stack)
  return Object.assign(withBrisk(middleware, listener, adapter), { cache: middleware.cache })
}

/** `http.createServer(front(listener, options)).listen(port)`: returns the listening server. */
export function listen(listener: NodeListener, port: number, options: FrontOptions = {}): Server {
  return createServer(front(listener, options)).listen(port)
}
