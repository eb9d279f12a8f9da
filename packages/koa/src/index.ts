export { toKoa } from './to-koa.js'
export { brisk } from './request-context.js'
export { readKoaResponse, writeKoaResponse } from './koa-response.js'
export type { BriskContext, CacheForOptions } from '@brisk/core'
