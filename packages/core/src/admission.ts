import type { ServerResponse } from 'node:http'
import { markAdmitted } from './admitted-fields.js'
import { withAnswerNow, type AnswerNow } from './answer-now.js'
import { markRefusal } from './earlier-fields.js'
import { hasField } from './response-writer.js'
import type { BriskHeaders, BriskMiddleware, BriskNext, BriskRequest, BriskResponse } from './exchange.js'
import { copyHeaders } from './headers.js'

/**
 * What an admission middleware decided before the app runs: answer now (a 429), or let the
 * request through and add these header fields to whatever the app answers.
 */
export type Admission = { readonly response: BriskResponse } | { readonly headers: BriskHeaders | undefined }

/** Decides before the app runs; synchronous when it can be (a memory-backed limiter). */
export type AdmitFunction = (req: BriskRequest) => Admission | Promise<Admission>

/**
 * A middleware whose whole effect is decided before the app runs (a rate limiter): it never
 * needs the app's response, only to add fields to it. Adapters that see `admit` call it and
 * then run the app directly, without capturing its response: capture and replay are most of
 * what a middleware costs per request on Express and Koa (see docs/decisions/0004).
 */
export interface AdmissionMiddleware extends BriskMiddleware {
  readonly admit: AdmitFunction
}

// Branded, not duck-typed: a wrapper made with Object.assign(wrapper, limiter) copies `admit`
// but must still run as the wrapper it is.
const admissions = new WeakSet<BriskMiddleware>()

/** Whether `middleware` is exactly one built by {@link admissionMiddleware}. */
export function isAdmission(middleware: BriskMiddleware): middleware is AdmissionMiddleware {
  return admissions.has(middleware)
}

/**
 * Builds the middleware from its admit function, for use inside `compose(...)` and wherever the
 * adapter runs the onion: `await next()` only when admitted, then the fields are added (the
 * admission's fields win over the app's, as they would if the middleware set them last).
 */
export function admissionMiddleware<T extends object = object>(
  admit: AdmitFunction,
  extra?: T,
): AdmissionMiddleware & T {
  // Decisions a synchronous attempt took for requests the layers below could not answer at once:
  // the middleware, which runs next for the same request, uses them rather than counting twice.
  const decidedBefore = new WeakMap<BriskRequest, Admission | Promise<Admission>>()
  const middleware = async function admissionMiddleware(
    req: BriskRequest,
    next: BriskNext,
  ): Promise<BriskResponse> {
    let decided = decidedBefore.get(req)
    if (decided === undefined) decided = admit(req)
    else decidedBefore.delete(req)
    // A settled decision (the memory store's) is used as it is: awaiting it would cost a turn.
    const admission = isPromise(decided) ? await decided : decided
    if ('response' in admission) return markRefusal(admission.response)
    return withAdmissionHeaders(await next(), admission.headers)
  }
  const attempt: AnswerNow = (req, inner) => {
    const decided = admit(req)
    if (isPromise(decided)) {
      // A decision still on its way (Redis) is awaited by the middleware itself, not made again.
      decidedBefore.set(req, decided)
      return undefined
    }
    if ('response' in decided) return markRefusal(decided.response)
    const response = inner()
    if (response !== undefined) return withAdmissionHeaders(response, decided.headers)
    decidedBefore.set(req, decided)
    return undefined
  }
  const built = Object.assign(withAnswerNow(middleware, attempt), extra, { admit }) as AdmissionMiddleware & T
  admissions.add(built)
  return built
}

/**
 * Adds an admitted request's fields to the answer it got; they win over the app's own, except
 * the RateLimit lists, where a limiter further in (a route's, after the global one) added its
 * members first: this limiter's go before them, in the order the limiters ran.
 */
function withAdmissionHeaders(response: BriskResponse, headers: BriskHeaders | undefined): BriskResponse {
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name]
      if (value === undefined) continue
      const below = response.headers[name]
      response.headers[name] =
        below !== undefined && LIST_FIELDS.has(name)
          ? [...listMembers(value), ...listMembers(below)].join(', ')
          : value
    }
  }
  return response
}

/**
 * Sets an admission's fields on the Node response before the app runs. The app may still
 * change or remove them, as it could any field set by an earlier middleware.
 */
export function setAdmissionHeaders(
  res: {
    setHeader(name: string, value: string | readonly string[]): unknown
    appendHeader(name: string, value: string | readonly string[]): unknown
    hasHeader(name: string): boolean
  },
  headers: BriskHeaders | undefined,
): void {
  if (headers === undefined) return
  for (const name in headers) {
    markAdmitted(res, name)
    const value = headers[name]
    if (value === undefined) continue
    // A second limiter (a global one, then a route's) adds its members to the lists the first
    // one started, as another field line (RFC 9110 §5.3: the same as one line joined by commas),
    // so the client learns of both, not only of whichever ran last. (Node's appendHeader on an
    // absent field validates it and then calls setHeader, which validates it again.)
    if (LIST_FIELDS.has(name) && hasField(res, name)) res.appendHeader(name, value)
    else res.setHeader(name, value)
  }
}

/**
 * Admission fields that are Structured Field Lists (RFC 9651 §3.1): the RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers, whose members several limiters may each contribute.
 */
const LIST_FIELDS = new Set(['ratelimit', 'ratelimit-policy'])

/**
 * An admission's own answer (a 429) as it goes onto a response earlier middleware already put
 * fields on: the writers keep those fields (CORS, security headers, a request ID — a browser
 * must be able to read the 429) but for the caching and representation ones, since this is a
 * refusal (`markRefusal`); the answer's own fields win. A limiter that ran before this one keeps
 * its members of the RateLimit lists, ahead of this one's.
 */
export function withEarlierHeaders(res: ServerResponse, response: BriskResponse): BriskResponse {
  let headers: BriskHeaders | undefined
  for (const name of LIST_FIELDS) {
    const prior = res.getHeader(name)
    const own = response.headers[name]
    if (own === undefined || (typeof prior !== 'string' && !Array.isArray(prior))) continue
    headers ??= copyHeaders(response.headers)
    headers[name] = [...listMembers(prior), ...listMembers(own)].join(', ')
  }
  return markRefusal(headers === undefined ? { ...response } : { ...response, headers })
}

function listMembers(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value
}

/** Whether an admit result is already settled (the synchronous path adapters take without a promise). */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function'
}
