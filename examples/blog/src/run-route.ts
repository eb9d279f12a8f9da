import type { IncomingMessage } from 'node:http'
import { requestContext } from '@brisk/core'
import type { Logger } from 'pino'
import { errorResponse } from './responses.js'
import { cacheControlFor, HttpError, type Route, type RouteResult } from './route.js'
import type { Renderer } from './render.js'
import { ServerTiming } from './server-timing.js'
import type { SessionCodec } from './session.js'

/** A response ready for the framework glue to write. */
export interface FinalResponse {
  status: number
  headers: Record<string, string | string[]>
  body: string | Buffer | undefined
}

/** What running a route needs, besides the route. */
export interface RouteRunner {
  renderer: Renderer
  sessions: SessionCodec
  logger: Logger
}

/**
 * Runs one route handler and turns its result into status, headers and body: the part of
 * request handling both frameworks share. Client errors get their proper status; anything
 * else is logged and answered 500, never a crash.
 */
export async function runRoute(
  runner: RouteRunner,
  route: Route,
  raw: IncomingMessage,
  params: Readonly<Record<string, string>>,
): Promise<FinalResponse> {
  const timing = new ServerTiming()
  const target = raw.url ?? '/'
  let result: RouteResult
  try {
    const url = parseTarget(target)
    result = await route.handler({
      method: raw.method ?? 'GET',
      url,
      params,
      headers: raw.headers,
      raw,
      session: runner.sessions.read(raw.headers.cookie),
      timing,
    })
  } catch (error) {
    if (error instanceof HttpError) {
      result = errorResponse(runner.renderer, target, error.status, error.message)
    } else {
      runner.logger.error({ err: error, url: target }, 'route failed')
      result = errorResponse(runner.renderer, target, 500, 'Something went wrong on our side.')
    }
  }
  const headers: Record<string, string | string[]> = { ...result.headers }
  const cacheControl = cacheControlFor(result.cache)
  if (cacheControl !== undefined) headers['cache-control'] = cacheControl
  if (result.type !== undefined) headers['content-type'] = result.type
  // The request-context helper hands the tags to brisk's cache, for purging by tag.
  if (result.tags !== undefined && result.tags.length > 0) requestContext(raw).tag(...result.tags)
  headers['server-timing'] = timing.header()
  return { status: result.status, headers, body: result.body }
}

/**
 * The request target as a URL; 400 for one that is not an origin-form path (RFC 9112 §3.2.1)
 * or whose path has a malformed percent-encoding. Express refuses those itself, Koa's router
 * passes them on undecoded: checking here gives both the same answer.
 */
function parseTarget(target: string): URL {
  if (target.startsWith('/')) {
    try {
      const url = new URL(`http://blog.invalid${target}`)
      decodeURIComponent(url.pathname)
      return url
    } catch {
      // fall through to 400
    }
  }
  throw new HttpError(400, 'Malformed request target')
}
