/**
 * Front mode through each framework's own `front(app, options)`: every case of the table, on
 * node:http, Express 4/5 and Koa 2/3, must give the client exactly what middleware mode gives
 * with the same configuration — first an identity configuration (every concern off) against
 * the app alone, then a real one (conditional, a cache with a ttl, compress) against the same
 * stack mounted with `app.use`. Full-body rows run three times over one connection, so the
 * second and third requests are hits in both modes.
 */
import { BriskMetrics } from '@brisk/core'
import type { FrontOptions } from '@brisk/node'
import { createStack, type StackOptions } from '@brisk/stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CASES } from './cases.js'
import type { Observed } from './client.js'
import { checkReference, observe, observeSequence } from './observe.js'
import { FRAMEWORKS, startFrontServer, startServer, type RunningServer } from './servers.js'

function sortedFields(observed: Observed): Observed {
  return { ...observed, headers: [...observed.headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) }
}

/** Fields brisk's concerns add to any response they pass (the cache's Cache-Status and Age, compress's Vary). */
const BRISK_FIELDS = new Set(['age', 'cache-status', 'vary'])

const IDENTITY: FrontOptions = { cache: false, compress: false, conditional: false, logger: false }
const REAL: StackOptions = { cache: { ttl: '30s' }, compress: true, conditional: true, logger: false }

// A listener leak on any emitter shows up as a MaxListenersExceededWarning.
const warnings: Error[] = []
const onWarning = (warning: Error): void => void warnings.push(warning)
beforeAll(() => void process.on('warning', onWarning))
afterAll(() => {
  process.off('warning', onWarning)
  expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
})

describe.each(FRAMEWORKS)('front mode conformance on %s', (framework) => {
  let plain: RunningServer
  let identity: RunningServer
  let middleware: RunningServer
  let front: RunningServer
  beforeAll(async () => {
    plain = await startServer(framework, CASES)
    identity = await startFrontServer(framework, CASES, { ...IDENTITY, metrics: new BriskMetrics() })
    middleware = await startServer(framework, CASES, createStack({ ...REAL, metrics: new BriskMetrics() }))
    front = await startFrontServer(framework, CASES, { ...REAL, metrics: new BriskMetrics() })
  })
  afterAll(async () => {
    for (const server of [plain, identity, middleware, front]) await server.close()
  })

  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const reference = await observe(plain, entry)
    checkReference(reference, entry.expect)
    expect(await observe(identity, entry)).toEqual(reference)
    // Full-body rows are asked as a browser would, so compress has something to do (the
    // streaming clients read raw events and bytes, so they ask for identity).
    const negotiated =
      entry.client === undefined || entry.client === 'full'
        ? { ...entry, requestHeaders: { 'accept-encoding': 'gzip, br', ...entry.requestHeaders } }
        : entry
    const fromFront = await observeSequence(front, negotiated)
    const fromMiddleware = await observeSequence(middleware, negotiated)
    if (!framework.startsWith('koa')) {
      // Express sets X-Powered-By before any middleware runs: in middleware mode it stays on every
      // answer, a 304 from stored validators included (as on Express's own 304), while front
      // mode's 304 carries the fields RFC 9110 §15.4.5 lists (a hit, the ones its entry stored).
      const expressView = (observed: Observed): Observed =>
        observed.status !== 304
          ? observed
          : { ...observed, headers: observed.headers.filter(([name]) => name !== 'x-powered-by') }
      return void expect(fromFront.map(expressView)).toEqual(fromMiddleware.map(expressView))
    }
    // Koa's middleware mode puts a hit back on ctx, and Koa re-declares Content-Length where it
    // sets the body, so the field order of its head may differ; the fields and bytes may not.
    // And when a handler throws, Koa's ctx.onerror rewrites the whole response after brisk ran,
    // dropping brisk's fields, while in front brisk sees Koa's 500 and annotates it like any other.
    // And Koa writes no body for HEAD, so front mode has no bytes to compute the ETag that
    // middleware mode computes from ctx.body for a HEAD the store cannot answer.
    const koaView = (observed: Observed): Observed => {
      const sorted = sortedFields(observed)
      if (entry.method === 'HEAD') {
        return { ...sorted, headers: sorted.headers.filter(([name]) => name !== 'etag') }
      }
      if (observed.status < 500) return sorted
      return { ...sorted, headers: sorted.headers.filter(([name]) => !BRISK_FIELDS.has(name)) }
    }
    expect(fromFront.map(koaView)).toEqual(fromMiddleware.map(koaView))
  })
})
