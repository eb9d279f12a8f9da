export { toExpress, type ExpressAdapterOptions, type ExpressMiddleware } from './to-express.js'
export { brisk } from './request-context.js'
export type { BriskContext, CacheForOptions } from '@brisk/core'
