import {
  type BriskMetrics,
  BriskOptionError,
  copyHeaders,
  resolveMetrics,
  headerValue,
  resolveLogger,
  withAnswerNow,
  type BriskHeaders,
  type BriskLogger,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { parseEntityTag } from './entity-tag.js'
import { generateEtag } from './generate-etag.js'
import { formatHttpDate } from './http-date.js'
import { notModified, notModifiedHeaders, preconditionFailed } from './not-modified.js'
import {
  evaluatePreconditions,
  hasPreconditions,
  lastModifiedTime,
  type Validators,
} from './preconditions.js'

/** The current representation's validators, as the app knows them before its handler runs. */
export interface CurrentValidators extends Validators {
  /** Fields a 200 would carry that a 304 must repeat (RFC 9110 §15.4.5), e.g. Cache-Control, Vary. */
  headers?: BriskHeaders
}

/** What `validators(req)` may answer: validators, `null` (no current representation), or `undefined` (unknown: run the handler). */
export type ValidatorsResult = CurrentValidators | null | undefined

export interface ConditionalOptions {
  /** Add a strong ETag (sha1 of the body, `etag` package format) to buffered 200 GET/HEAD responses that have none. Default `true`. */
  etag?: boolean
  /** Computes the current validators before the handler runs, so a 304 or 412 skips the handler and a PUT/DELETE is checked against the state it would change. */
  validators?: (req: BriskRequest) => ValidatorsResult | Promise<ValidatorsResult>
  /** Counters for `conditional.notModified` and `conditional.preconditionFailed`. Default: the shared `defaultMetrics`. */
  metrics?: BriskMetrics
  /** pino-compatible logger for app mistakes (a malformed ETag from `validators`), logged once; `false` silences it. */
  logger?: BriskLogger | false
}

// §13.2.1: these methods neither select nor modify a representation.
const IGNORING_METHODS = new Set(['CONNECT', 'OPTIONS', 'TRACE'])
const NO_STORE = /(?:^|,)\s*no-store\s*(?:,|$)/i

/**
 * Conditional requests (RFC 9110 §13): ETags for buffered responses, 304 Not Modified and
 * 412 Precondition Failed, evaluated in the order of §13.2.2.
 *
 * Without `validators`, GET and HEAD are evaluated against the handler's response (its own
 * ETag and Last-Modified, else a generated ETag). Unsafe methods can only be protected with
 * `validators`: once the handler has run, the change is made and its response describes
 * the new state, not the one If-Match was written against.
 */
export function conditional(options: ConditionalOptions = {}): BriskMiddleware {
  if (options === null || typeof options !== 'object') {
    throw new BriskOptionError('conditional', options, 'an options object')
  }
  const generate = options.etag ?? true
  if (typeof generate !== 'boolean') throw new BriskOptionError('etag', generate, 'true or false')
  const validators = options.validators
  if (validators !== undefined && typeof validators !== 'function') {
    throw new BriskOptionError(
      'validators',
      validators,
      'a function (req) => ({ etag?, lastModified? }) | null | undefined',
    )
  }
  const metrics = resolveMetrics(options.metrics)
  const logger = resolveLogger(options.logger)
  // An app mistake in what validators() answers is logged once, not per request.
  let warned = false
  const warnOnce = (message: string, value: unknown): void => {
    if (warned) return
    warned = true
    logger.warn({ value }, message)
  }
  const checkTag = (current: CurrentValidators): void => {
    if (current.etag === undefined || parseEntityTag(current.etag) !== undefined) return
    warnOnce(
      'brisk conditional: validators() returned a malformed ETag (expected a quoted tag like "\\"v1\\"" or "W/\\"v1\\""); it is ignored',
      current.etag,
    )
  }

  const answer = (outcome: 304 | 412, response: BriskResponse): BriskResponse => {
    if (outcome === 304) {
      metrics.inc('conditional.notModified')
      return notModified(response)
    }
    metrics.inc('conditional.preconditionFailed')
    return preconditionFailed(response)
  }

  /** The GET or HEAD response's own validators against the request's preconditions. */
  const evaluate = (req: BriskRequest, response: BriskResponse): BriskResponse => {
    const method = req.method
    if ((method !== 'GET' && method !== 'HEAD') || !isSuccess(response.status)) return response
    if (generate && response.headers.etag === undefined && hashable(response)) {
      response.headers.etag = generateEtag(response.body as Buffer)
    }
    if (!hasPreconditions(req.headers)) return response
    const outcome = evaluatePreconditions(method, req.headers, {
      etag: headerValue(response.headers, 'etag'),
      lastModified: headerValue(response.headers, 'last-modified'),
    })
    return outcome === 'proceed' ? response : answer(outcome, response)
  }

  const middleware = async function conditionalMiddleware(
    req: BriskRequest,
    next: () => Promise<BriskResponse>,
  ): Promise<BriskResponse> {
    const method = req.method
    if (IGNORING_METHODS.has(method)) return next()
    const safe = method === 'GET' || method === 'HEAD'
    const conditionalRequest = hasPreconditions(req.headers)

    if (validators !== undefined && (safe || conditionalRequest)) {
      const answered = await validators(req)
      const current =
        answered === undefined || answered === null || typeof answered === 'object' ? answered : undefined
      if (current !== answered)
        warnOnce(
          'brisk conditional: validators() must answer an object, null or undefined; the answer is ignored',
          answered,
        )
      if (current !== undefined) {
        if (current !== null) checkTag(current)
        if (conditionalRequest) {
          const outcome = evaluatePreconditions(method, req.headers, current)
          if (outcome === 304) {
            metrics.inc('conditional.notModified')
            return { status: 304, headers: notModifiedHeaders(validatorFields(current ?? {})), body: null }
          }
          if (outcome === 412) {
            metrics.inc('conditional.preconditionFailed')
            return preconditionFailed()
          }
        }
        const response = await next()
        // The validators describe the representation a GET selects; after a PUT they are
        // stale, so they are only added to safe responses.
        if (safe && current !== null && isSuccess(response.status)) addMissing(response.headers, current)
        return response
      }
    }

    return evaluate(req, await next())
  }
  if (validators !== undefined) return middleware
  // Without validators everything happens after the response: an answer the layers below give
  // synchronously (a cache hit) is evaluated synchronously.
  return withAnswerNow(middleware, (req, inner) => {
    const response = inner()
    if (response === undefined || IGNORING_METHODS.has(req.method)) return response
    return evaluate(req, response)
  })
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}

// Only a complete 200 body is the selected representation: a 206 is a part of it, a stream
// is not read (that would buffer it), a HEAD body left empty by the framework does not match
// its Content-Length, and a no-store response will never be revalidated.
function hashable(response: BriskResponse): boolean {
  const body = response.body
  if (response.status !== 200 || !Buffer.isBuffer(body)) return false
  const length = headerValue(response.headers, 'content-length')
  if (length !== undefined && Number(length) !== body.length) return false
  const cacheControl = headerValue(response.headers, 'cache-control')
  return cacheControl === undefined || !NO_STORE.test(cacheControl)
}

function validatorFields(current: CurrentValidators): BriskHeaders {
  const fields: BriskHeaders = current.headers === undefined ? {} : copyHeaders(current.headers)
  addMissing(fields, current)
  return fields
}

/** Whether the body is in a content coding other than identity. */
function encoded(headers: BriskHeaders): boolean {
  const coding = headerValue(headers, 'content-encoding')
  return coding !== undefined && coding.trim() !== '' && coding.trim().toLowerCase() !== 'identity'
}

// Adds ETag and Last-Modified from validators where the response has none of its own; a
// malformed tag or an invalid date is left out rather than sent.
function addMissing(headers: BriskHeaders, current: CurrentValidators): void {
  if (
    headers.etag === undefined &&
    current.etag !== undefined &&
    parseEntityTag(current.etag) !== undefined
  ) {
    const etag = current.etag.trim()
    // Added on the way out, after compress ran: a strong tag on encoded bytes would promise
    // them identical to the identity bytes (RFC 9110 §8.8.3), so it goes weak, as compress
    // makes an app's own tag.
    headers.etag = encoded(headers) && !etag.startsWith('W/') ? `W/${etag}` : etag
  }
  if (headers['last-modified'] === undefined) {
    const time = lastModifiedTime(current.lastModified)
    if (time !== undefined) headers['last-modified'] = formatHttpDate(time)
  }
}
