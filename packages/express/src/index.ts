export { toExpress, type ExpressAdapterOptions, type ExpressMiddleware } from './to-express.js'
export { brisk } from './request-context.js'
export {
  cache,
  cacheControl,
  compress,
  conditional,
  rateLimit,
  stack,
  type CachePurge,
  type ExpressCacheMiddleware,
  type ExpressRateLimitMiddleware,
  type ExpressStackMiddleware,
} from './concerns.js'
export { expressClientAddress, front, listen, type ExpressApp, type ExpressFrontOptions } from './front.js'
export type { FrontListener, FrontRoute } from '@brisk/node'
export type { BriskContext, CacheForOptions } from '@brisk/core'
