import { createRequire } from 'node:module'
import { ServerResponse } from 'node:http'
import { admissionMiddleware, BriskMetrics, type Admission, type BriskMiddleware } from '@brisk/core'
import { rateLimit as coreRateLimit } from '@brisk/ratelimit'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { cache, rateLimit } from './concerns.js'
import { toExpress } from './to-express.js'

const express4 = createRequire(import.meta.url)('express4') as typeof express

describe.each([
  ['Express 4', express4],
  ['Express 5', express],
])('an admission middleware on %s', (_name, makeApp) => {
  const appWith = (middleware: express.RequestHandler) => {
    const app = makeApp()
    app.set('etag', false)
    app.use((_req, res, next) => {
      res.setHeader('access-control-allow-origin', '*')
      next()
    })
    app.use(middleware)
    app.get('/', (_req, res) => {
      // The app writes to the real response: nothing displaced its methods to capture them.
      const captured = Object.prototype.hasOwnProperty.call(res, 'write')
      res.json({ captured, write: res.write === ServerResponse.prototype.write })
    })
    app.get('/fail', () => {
      throw new Error('route failed')
    })
    return app
  }

  it('adds its fields without capturing the response the app writes', async () => {
    const limiter = rateLimit({ limit: 5, window: '1m', metrics: new BriskMetrics() })
    const res = await request(appWith(limiter)).get('/').expect(200)
    expect(res.body).toEqual({ captured: false, write: true })
    expect(res.headers['ratelimit-policy']).toBe('"default";q=5;w=60')
    expect(res.headers.ratelimit).toMatch(/^"default";r=4;t=\d+$/)
  })

  it('answers 429 itself, keeping what earlier middleware set (CORS)', async () => {
    const app = appWith(rateLimit({ limit: 1, window: '1m', metrics: new BriskMetrics() }))
    await request(app).get('/').expect(200)
    const refused = await request(app).get('/').expect(429)
    expect(refused.headers['access-control-allow-origin']).toBe('*')
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)
    expect(refused.headers['cache-control']).toBe('no-store')
    expect(refused.text).toBe('Too Many Requests')
  })

  it("keeps each client's own fields apart from what a later cache() stores and replays", async () => {
    const app = makeApp()
    app.set('etag', false)
    app.use(
      rateLimit({
        limit: 100,
        window: '1m',
        key: (req) => String(req.headers['x-client']),
        metrics: new BriskMetrics(),
      }),
    )
    app.use(cache({ ttl: '1m', metrics: new BriskMetrics() }))
    app.get('/', (_req, res) => void res.type('html').send('<p>page</p>'))
    for (let i = 0; i < 3; i++) await request(app).get('/').set('x-client', 'a').expect(200)
    const hit = await request(app).get('/').set('x-client', 'b').expect(200)
    expect(hit.headers['cache-status']).toMatch(/hit/)
    expect(hit.headers.ratelimit).toMatch(/^"default";r=99;t=\d+$/)
  })

  it("runs a wrapper that copied the limiter's properties as the wrapper", async () => {
    const limiter = coreRateLimit({ limit: 1, window: '1m', metrics: new BriskMetrics() })
    const onlyApi: BriskMiddleware = (req, next) => (req.url.startsWith('/api') ? limiter(req, next) : next())
    const app = appWith(toExpress(Object.assign(onlyApi, limiter)))
    await request(app).get('/').expect(200)
    await request(app).get('/').expect(200)
  })

  it('leaves errors of the route to Express', async () => {
    const limiter = rateLimit({ limit: 5, window: '1m', metrics: new BriskMetrics() })
    const res = await request(appWith(limiter)).get('/fail').expect(500)
    expect(res.text).toMatch(/route failed|Internal Server Error/)
  })

  it('waits for an asynchronous decision and passes a failing one to next(error)', async () => {
    let fail = false
    const admit = async (): Promise<Admission> => {
      await new Promise((resolve) => setImmediate(resolve))
      if (fail) throw new Error('decision failed')
      return { headers: { 'x-admitted': 'yes' } }
    }
    const app = appWith(toExpress(admissionMiddleware(admit)))
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(599).send(error.message)
    })
    const ok = await request(app).get('/').expect(200)
    expect(ok.headers['x-admitted']).toBe('yes')
    fail = true
    const failed = await request(app).get('/').expect(599)
    expect(failed.text).toBe('decision failed')
  })

  it('leaves alone a response answered while its decision was pending (a timeout)', async () => {
    const errors: unknown[] = []
    let routeRuns = 0
    const app = makeApp()
    app.use((_req, res, next) => {
      next()
      // A timeout middleware answering before the limiter's asynchronous decision settled.
      res.status(503).end('timed out')
    })
    let decided: Promise<Admission> | undefined
    const admit = async (): Promise<Admission> => {
      await new Promise((resolve) => setImmediate(resolve))
      return { headers: { 'x-admitted': 'late' } }
    }
    app.use(toExpress(admissionMiddleware(() => (decided = admit()))))
    app.get('/', (_req, res) => void (routeRuns++, res.send('route')))
    app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      errors.push(error)
      next(error)
    })
    const res = await request(app).get('/').expect(503)
    expect([res.text, res.headers['x-admitted']]).toEqual(['timed out', undefined])
    // What follows the decision runs in the microtasks after it settles.
    await decided
    await new Promise((resolve) => setImmediate(resolve))
    expect([routeRuns, errors]).toEqual([0, []])
  })
})
