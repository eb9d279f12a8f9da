import type { IncomingMessage, ServerResponse } from 'node:http'
import { snapshotHeaders } from './capture-response.js'
import type { BriskHeaders, BriskHints, BriskResponse, HeaderValue } from './exchange.js'
import { boundHints } from './request-context.js'

/**
 * Fields that middleware outside brisk set on the response before brisk let the app run (a
 * request id, CORS, `X-Powered-By`). They belong to this exchange, as the layers that set them
 * do: those layers run again for every request brisk answers itself and set them afresh. So a
 * cache leaves out of what it stores the fields the app's response still carries with the value
 * they had then (a hit must not replay the first client's request id), and an answer made
 * without the app keeps them, as a reverse proxy keeps the fields it adds in front of its cache.
 *
 * Recorded by the adapters right before the app runs, so a hit pays nothing for it; only fields
 * a limiter set for this client are left out (they are the admission's, see admitted-fields).
 */
export function noteEarlierFields(res: ServerResponse, hints: BriskHints): void {
  // Adapters nested on one request share its hints; the innermost, whose app runs last, records
  // last, so a cache there leaves out what middleware between the adapters set too.
  const earlier = snapshotHeaders(res)
  if (Object.keys(earlier).length > 0) hints.earlierFields = earlier
  else if (hints.earlierFields !== undefined) delete hints.earlierFields
}

/**
 * Whether `name` (lower-case) was set on `res` before brisk let the app run: an answer made from
 * the app's response keeps it even where a brisk layer answered from elsewhere (a 304 that
 * revalidated a stored entry is answered with the entry, which does not hold such fields). The
 * writers see `res`, not the exchange: its hints are the ones bound to `res.req` before the app
 * ran, where {@link noteEarlierFields} recorded them.
 */
export function setBeforeApp(res: ServerResponse, name: string): boolean {
  const req = res.req as IncomingMessage | undefined
  return req !== undefined && boundHints(req)?.earlierFields?.[name] !== undefined
}

/** Whether the response's `value` for `name` is still the one set before the app ran. */
export function isEarlierField(earlier: BriskHeaders | undefined, name: string, value: HeaderValue): boolean {
  if (earlier === undefined) return false
  const before = earlier[name]
  if (before === undefined) return false
  if (typeof before === 'string' || typeof value === 'string') return before === value
  return before.length === value.length && before.every((item, index) => item === value[index])
}

// A refusal (a 429, a 503 from a limiter failing closed) is not the representation the earlier
// middleware prepared fields for: its caching and representation fields must not ride on it (a
// CDN must not keep one client's 429: RFC 9213 CDN-Cache-Control, Surrogate-Control).
const NOT_FOR_REFUSALS = /cache-control$|^surrogate-control$|^expires$|^etag$|^last-modified$|^content-/

const refusals = new WeakSet<BriskResponse>()

/** Marks an admission's own answer (a 429) as a refusal: see {@link dropFieldsUnfitForRefusal}. */
export function markRefusal(response: BriskResponse): BriskResponse {
  refusals.add(response)
  return response
}

/** Whether `response` was marked by {@link markRefusal}. */
export function isRefusal(response: BriskResponse): boolean {
  return refusals.has(response)
}

/**
 * For an answer made without the app, written onto a response that may already carry earlier
 * fields, which stay (the answer's own win, as the writer sets those after): on a refusal, the
 * earlier caching and representation fields the answer does not carry itself go first.
 */
export function dropFieldsUnfitForRefusal(res: ServerResponse, response: BriskResponse): void {
  if (!isRefusal(response)) return
  for (const name of res.getHeaderNames()) {
    if (response.headers[name] === undefined && NOT_FOR_REFUSALS.test(name)) res.removeHeader(name)
  }
}
