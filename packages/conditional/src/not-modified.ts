import type { Readable } from 'node:stream'
import type { BriskHeaders, BriskResponse } from '@brisk/core'

// Representation metadata and framing that a 304 must not carry (RFC 9110 §15.4.5): the
// recipient already holds the representation, and a Content-Length or Content-Type here
// would describe a body that is not sent. Everything else stays: the fields §15.4.5
// requires when a 200 would have sent them (Cache-Control, Content-Location, Date, ETag,
// Expires, Vary) and response metadata that is not about the body (Set-Cookie, CORS,
// RateLimit, Cache-Status), which a client must not lose because it revalidated.
const REPRESENTATION_FIELDS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-range',
  'content-md5',
  'content-disposition',
  'transfer-encoding',
])

/**
 * The 304 answer to a conditional GET/HEAD whose 2xx response would have carried `headers`.
 * Last-Modified is kept only when there is no ETag, the one case §15.4.5 names where
 * it guides the cache update.
 */
export function notModifiedHeaders(headers: BriskHeaders): BriskHeaders {
  const kept: BriskHeaders = {}
  const hasEtag = headers.etag !== undefined
  for (const name in headers) {
    if (REPRESENTATION_FIELDS.has(name) || (hasEtag && name === 'last-modified')) continue
    kept[name] = headers[name]
  }
  return kept
}

/** Turns a 2xx response into its 304, releasing a streamed body that will not be sent. */
export function notModified(response: BriskResponse): BriskResponse {
  releaseBody(response)
  return { status: 304, headers: notModifiedHeaders(response.headers), body: null }
}

/** The 412 answer: no body, no representation metadata of a representation not sent. */
export function preconditionFailed(response?: BriskResponse): BriskResponse {
  if (response !== undefined) releaseBody(response)
  return { status: 412, headers: {}, body: null }
}

// A stream left unread would hold its file descriptor or socket until garbage collection.
function releaseBody(response: BriskResponse): void {
  const body = response.body
  if (body !== null && !Buffer.isBuffer(body)) (body as Readable).destroy()
}
