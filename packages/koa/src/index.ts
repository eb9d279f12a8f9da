export { toKoa } from './to-koa.js'
export { brisk } from './request-context.js'
export { readKoaResponse, writeKoaResponse } from './koa-response.js'
export {
  cache,
  cacheControl,
  compress,
  conditional,
  rateLimit,
  stack,
  type CachePurge,
  type KoaCacheMiddleware,
  type KoaRateLimitMiddleware,
  type KoaStackMiddleware,
} from './concerns.js'
export { front, koaClientAddress, listen, type KoaApp, type KoaFrontOptions } from './front.js'
export type { FrontListener, FrontRoute } from '@brisk/node'
export type { BriskContext, CacheForOptions } from '@brisk/core'
