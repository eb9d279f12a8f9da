import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import { Readable, Stream } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import {
  applyHeaders,
  dropFieldsUnfitForRefusal,
  snapshotHeaders,
  type BriskBody,
  type BriskResponse,
} from '@brisk/core'
import type { Context } from 'koa'

/** Statuses whose responses never carry a body (RFC 9110 §6.4.1, §15.3.5, §15.4.5). */
const EMPTY_STATUS = new Set([204, 205, 304])

/**
 * Responses Koa will not send itself (`ctx.respond = false`, or the app wrote the head on the
 * raw response): brisk cannot put anything back onto ctx for them.
 */
const bypassed = new WeakSet<BriskResponse>()

function isNodeStream(value: unknown): value is Readable {
  return value instanceof Stream && typeof (value as Readable).pipe === 'function'
}

function streamOf(body: unknown): Readable | undefined {
  if (isNodeStream(body)) return body
  // Koa 3 also takes web bodies; it sends them through Readable.from, and so does brisk.
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    return Readable.from(body.stream() as unknown as WebReadableStream)
  }
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return Readable.from(body)
  if (typeof Response !== 'undefined' && body instanceof Response) {
    return body.body === null ? undefined : Readable.from(body.body as unknown as WebReadableStream)
  }
  return undefined
}

/**
 * What Koa is about to send for `ctx`, as a {@link BriskResponse}: the same decisions as Koa's
 * own `respond()` (status bodies, explicit `null`, HEAD lengths, JSON), so that a response
 * passed through unchanged is byte for byte what Koa would have written. For HEAD the body is
 * the buffered one the GET would send (never sent), so validators computed from it match the
 * GET's. Leaves ctx untouched.
 */
export function readKoaResponse(ctx: Context): BriskResponse {
  const res = ctx.res
  const headers = snapshotHeaders(res)
  const status = ctx.status
  if (ctx.respond === false || res.headersSent || res.writableEnded) {
    const response: BriskResponse = {
      status,
      headers: { ...headers, 'cache-control': 'no-store' },
      body: null,
    }
    bypassed.add(response)
    return response
  }
  const statusMessage = res.statusMessage || undefined
  let body: BriskBody = null
  const value: unknown = ctx.body
  if (EMPTY_STATUS.has(status)) {
    delete headers['content-type']
    delete headers['content-length']
    delete headers['transfer-encoding']
  } else if (ctx.method === 'HEAD') {
    // Koa sends no body for HEAD, but a buffered one is the representation the GET would send:
    // handing it over lets conditional() tag the HEAD as it tags the GET (RFC 9110 §9.3.2:
    // same header fields). A stream is not read for a HEAD. writeKoaResponse never puts it
    // back, so nothing of it reaches the client.
    body = bufferedBody(value)
    if (headers['content-length'] === undefined) {
      const length = body === null ? ctx.response.length : body.length
      if (Number.isInteger(length)) headers['content-length'] = String(length)
    }
  } else if (value === null || value === undefined) {
    if ((ctx.response as unknown as { _explicitNullBody?: boolean })._explicitNullBody === true) {
      // Koa strips these and sends no body (Koa 3 also declares length 0 as it sends).
      delete headers['content-type']
      delete headers['transfer-encoding']
    } else {
      // Koa answers a bare status with its reason phrase as text.
      const text = ctx.req.httpVersionMajor >= 2 ? String(status) : ctx.message || String(status)
      body = Buffer.from(text)
      headers['content-type'] = 'text/plain; charset=utf-8'
      headers['content-length'] = String(body.length)
    }
  } else if (Buffer.isBuffer(value)) body = value
  else if (typeof value === 'string') body = Buffer.from(value)
  else {
    const stream = streamOf(value)
    if (stream !== undefined) body = stream
    else {
      body = Buffer.from(JSON.stringify(value))
      headers['content-length'] = String(body.length)
    }
  }
  const response: BriskResponse = { status, headers, body }
  if (statusMessage !== undefined && statusMessage !== STATUS_CODES[status])
    response.statusMessage = statusMessage
  return response
}

/** A body Koa would send as bytes (Buffer, string, JSON), as those bytes; null for anything else. */
function bufferedBody(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value)
  if (streamOf(value) !== undefined || isWebBody(value)) return null
  return Buffer.from(JSON.stringify(value))
}

function isWebBody(value: unknown): boolean {
  return (
    (typeof Blob !== 'undefined' && value instanceof Blob) ||
    (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream) ||
    (typeof Response !== 'undefined' && value instanceof Response)
  )
}

/**
 * Puts a brisk middleware's answer back onto ctx so Koa sends it (and any Koa middleware
 * further out sees it): body, status, reason phrase and the answer's headers. `fromApp` is the
 * app's response the answer was made from: then the headers become exactly the answer's. An
 * answer made without the app (a hit, a 429) keeps what Koa middleware before brisk set for
 * this request (a request id, CORS), as the app's own response would have.
 */
export function writeKoaResponse(
  ctx: Context,
  response: BriskResponse,
  fromApp: BriskResponse | undefined,
): void {
  if (fromApp !== undefined && bypassed.has(fromApp)) return
  const earlier = fromApp === undefined ? ctx.res.getHeaders() : undefined
  const { status, body } = response
  // `ctx.body = null` turns a 200 into a 204, so the status is set after the body; Koa then
  // sends an explicit null body as nothing, whatever the status. A HEAD answer's body is never
  // put back: Koa declares the length of any body left on ctx where the answer has none (a
  // HEAD whose GET would be compressed must not claim the identity length, RFC 9110 §8.6).
  // Koa 3 keeps `null` on a JSON response as the text "null" (length 4), so the type goes
  // first; applyHeaders below restores exactly the answer's fields.
  if (body === null || ctx.method === 'HEAD') {
    ctx.remove('Content-Type')
    ctx.body = null
  } else if (ctx.body !== body) {
    // An answer made without the app names its own type: set first, it keeps Koa's body setter
    // from guessing one (`application/octet-stream` for bytes: a mime lookup and a field set
    // only to be replaced below, ~1.2k instructions of a 107k hit, callgrind).
    const type = fromApp === undefined ? response.headers['content-type'] : undefined
    if (typeof type === 'string') ctx.res.setHeader('content-type', type)
    ctx.body = body
  }
  ctx.status = status
  if (response.statusMessage !== undefined) ctx.message = response.statusMessage
  if (earlier === undefined) applyHeaders(ctx.res, response.headers)
  else applyOverEarlier(ctx.res, response, earlier)
}

/**
 * The answer's fields over those set before brisk's turn: what Koa's body and status setters
 * added or took away on their own (a guessed Content-Type, a length) is undone, the earlier
 * fields stay (less, on a refusal, the representation ones), and the answer's own win.
 */
function applyOverEarlier(res: ServerResponse, response: BriskResponse, earlier: OutgoingHttpHeaders): void {
  const headers = response.headers
  for (const name of res.getHeaderNames()) {
    if (headers[name] === undefined && earlier[name] === undefined) res.removeHeader(name)
  }
  for (const name in earlier) {
    const value = earlier[name]
    if (value !== undefined && headers[name] === undefined && res.getHeader(name) !== value) {
      res.setHeader(name, value)
    }
  }
  dropFieldsUnfitForRefusal(res, response)
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined && res.getHeader(name) !== value) res.setHeader(name, value)
  }
}
