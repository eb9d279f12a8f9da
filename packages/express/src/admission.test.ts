import { createRequire } from 'node:module'
import { ServerResponse } from 'node:http'
import { admissionMiddleware, BriskMetrics, type Admission } from '@brisk/core'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { rateLimit } from './concerns.js'
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
})
