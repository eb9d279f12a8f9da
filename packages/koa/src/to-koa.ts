import {
  answerNowOf,
  beforeApp,
  BriskOptionError,
  createBriskRequest,
  isAdmission,
  isPromise,
  NOTHING_BELOW,
  serverListener,
  setAdmissionHeaders,
  withEarlierHeaders,
  type Admission,
  type AdmissionMiddleware,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import type { Context, Middleware, Next } from 'koa'
import { readKoaResponse, writeKoaResponse } from './koa-response.js'

/**
 * Turns a brisk middleware (usually `compose(...)` of several) into Koa middleware, for Koa 2
 * and 3. Code before the app sees the request; after `await next()` it sees what Koa is about to
 * send, and its answer is written back onto ctx. The client address is `ctx.ip`, so Koa's
 * `app.proxy` (and `app.proxyIpHeader`, `app.maxIpsCount`) decide whether `X-Forwarded-For`
 * counts. Errors thrown downstream propagate unchanged to Koa's `ctx.onerror`.
 */
export function toKoa(middleware: BriskMiddleware): Middleware {
  if (typeof middleware !== 'function') {
    throw new BriskOptionError('middleware', middleware, 'a brisk middleware function (e.g. compose(...))')
  }
  if (isAdmission(middleware)) return admissionToKoa(middleware)
  // Answers the stack can give at once (a fresh hit in memory) are set on ctx without awaiting.
  const answerNow = answerNowOf(middleware)
  const run = async (ctx: Context, next: Next, request: BriskRequest): Promise<void> => {
    let fromApp: BriskResponse | undefined
    const response = await middleware(request, async (derived?: BriskRequest) => {
      beforeApp(ctx.req, ctx.res, request, derived)
      await next()
      fromApp = readKoaResponse(ctx)
      return fromApp
    })
    writeKoaResponse(ctx, response, fromApp)
  }
  return function brisk(ctx, next) {
    const request = createBriskRequest(ctx.req, ctx.res, {
      clientAddress: () => ctx.ip,
      url: ctx.originalUrl,
      // A stale-while-revalidate refresh re-enters the whole app the client reached.
      refreshVia: serverListener,
      // Bound right before the app runs: a hit never runs it, and pays for no WeakMap insertion.
      bindHints: false,
    })
    // A twin that throws is Koa's to handle, as any middleware's synchronous throw.
    const answered = answerNow?.(request, NOTHING_BELOW)
    if (answered === undefined) return run(ctx, next, request)
    writeKoaResponse(ctx, answered, undefined)
    return Promise.resolve()
  }
}

/**
 * A middleware that only admits (a rate limiter): its fields are set on ctx before the app runs
 * and the app's response is never captured, so it costs what its decision costs. A 429 is
 * written onto ctx and the rest of the app does not run.
 */
function admissionToKoa(middleware: AdmissionMiddleware): Middleware {
  const admit = middleware.admit
  const apply = (ctx: Context, next: Next, admission: Admission): Promise<void> | undefined => {
    if (ctx.res.headersSent || ctx.res.writableEnded) return undefined
    if ('response' in admission) {
      writeKoaResponse(ctx, withEarlierHeaders(ctx.res, admission.response), undefined)
      return undefined
    }
    setAdmissionHeaders(ctx.res, admission.headers)
    return next()
  }
  return function brisk(ctx, next) {
    // Hints are not bound: nothing after an admission reads them through this request.
    const request = createBriskRequest(ctx.req, ctx.res, {
      clientAddress: () => ctx.ip,
      url: ctx.originalUrl,
      bindHints: false,
    })
    let admission: Admission | Promise<Admission>
    try {
      admission = admit(request)
    } catch (error) {
      return Promise.reject(error)
    }
    if (isPromise(admission)) return admission.then((settled) => apply(ctx, next, settled))
    return apply(ctx, next, admission) ?? Promise.resolve()
  }
}
