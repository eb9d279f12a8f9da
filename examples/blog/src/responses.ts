import { STATUS_CODES } from 'node:http'
import type { Renderer } from './render.js'
import type { CachePolicy, RouteResult } from './route.js'

const HTML = 'text/html; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'

export function html(body: string, cache: CachePolicy, tags?: readonly string[], status = 200): RouteResult {
  return tags === undefined ? { status, type: HTML, body, cache } : { status, type: HTML, body, cache, tags }
}

export function json(
  value: unknown,
  cache: CachePolicy,
  tags?: readonly string[],
  status = 200,
): RouteResult {
  const body = JSON.stringify(value)
  return tags === undefined
    ? { status, type: JSON_TYPE, body, cache }
    : { status, type: JSON_TYPE, body, cache, tags }
}

/** 303 See Other: after a form post, the browser GETs `location` (RFC 9110 §15.4.4). */
export function seeOther(location: string, cache: CachePolicy = 'no-store', setCookie?: string): RouteResult {
  const headers: Record<string, string> = { location }
  if (setCookie !== undefined) headers['set-cookie'] = setCookie
  // A short note with the link, as RFC 9110 §15.4 suggests; both frameworks then send the
  // same bytes (Koa would otherwise write the reason phrase, Express nothing).
  const body = `<p>See <a href="${encodeURI(location)}">${encodeURI(location)}</a></p>`
  return { status: 303, type: HTML, body, headers, cache }
}

/** An error answer in the form the client asked for: JSON under `/api/`, HTML elsewhere. */
export function errorResponse(
  renderer: Renderer,
  path: string,
  status: number,
  message: string,
): RouteResult {
  const heading = STATUS_CODES[status] ?? 'Error'
  if (path.startsWith('/api/')) return json({ error: heading, message }, 'no-store', undefined, status)
  return html(
    renderer.page('error', `${status} ${heading}`, { status, heading, message }),
    'no-store',
    undefined,
    status,
  )
}
