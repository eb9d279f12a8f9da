import type { BriskResponse } from './exchange.js'

/**
 * Captured responses whose app committed the head before the body (an explicit `writeHead`,
 * or a `write()` before `end()`). Node sends such a body chunked, not with a computed
 * Content-Length; `writeResponse` does the same for the unchanged response, so a pass-through
 * is byte for byte what the app alone would send. A response a middleware rebuilt is a new
 * object, not in the set, and gets Node's default framing.
 */
export const headCommitted = new WeakSet<BriskResponse>()
