import {
  applyDerivedRequest,
  BriskOptionError,
  createBriskRequest,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import type { Middleware } from 'koa'
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
  return async function brisk(ctx, next) {
    const request = createBriskRequest(ctx.req, ctx.res, { clientAddress: ctx.ip, url: ctx.originalUrl })
    let fromApp: BriskResponse | undefined
    const response = await middleware(request, async (derived?: BriskRequest) => {
      applyDerivedRequest(ctx.req, request, derived)
      await next()
      fromApp = readKoaResponse(ctx)
      return fromApp
    })
    writeKoaResponse(ctx, response, fromApp)
  }
}
