import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestContext, type BriskContext } from '@brisk/core'

/**
 * The request-context helper for Express handlers: `brisk(req).cacheFor('5m', { swr: '1m',
 * tags: ['post:42'] })`, `brisk(res).tag('list')`, `brisk(req).noStore()`. A no-op when no
 * brisk middleware is in front of the request.
 */
export function brisk(reqOrRes: IncomingMessage | ServerResponse): BriskContext {
  return requestContext(
    'req' in reqOrRes && reqOrRes.req !== undefined ? reqOrRes.req : (reqOrRes as IncomingMessage),
  )
}
