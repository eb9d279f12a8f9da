import { requestContext, type BriskContext } from '@brisk/core'
import type { Context } from 'koa'

/**
 * The request-context helper for Koa handlers: `brisk(ctx).cacheFor('5m', { swr: '1m',
 * tags: ['post:42'] })`, `brisk(ctx).tag('list')`, `brisk(ctx).noStore()`. A no-op when no
 * brisk middleware is in front of the request.
 */
export function brisk(ctx: Pick<Context, 'req'>): BriskContext {
  return requestContext(ctx.req)
}
