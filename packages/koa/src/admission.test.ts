import { createRequire } from 'node:module'
import { ServerResponse } from 'node:http'
import { admissionMiddleware, BriskMetrics, type Admission } from '@brisk/core'
import Koa, { type Middleware } from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { rateLimit } from './concerns.js'
import { toKoa } from './to-koa.js'

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa

describe.each([
  ['Koa 2', Koa2],
  ['Koa 3', Koa],
])('an admission middleware on %s', (_name, KoaApp) => {
  const appWith = (middleware: Middleware, onError?: (error: Error) => void) => {
    const app = new KoaApp()
    app.silent = true
    if (onError !== undefined) app.on('error', onError)
    app.use(async (ctx, next) => {
      ctx.set('access-control-allow-origin', '*')
      await next()
    })
    app.use(middleware)
    app.use((ctx) => {
      if (ctx.path === '/fail') throw new Error('route failed')
      // Koa writes to the real response: nothing displaced its methods to capture them.
      ctx.body = {
        captured: Object.prototype.hasOwnProperty.call(ctx.res, 'write'),
        write: ctx.res.write === ServerResponse.prototype.write,
      }
    })
    return app.callback()
  }

  it('adds its fields without capturing the response the app writes', async () => {
    const limiter = rateLimit({ limit: 5, window: '1m', metrics: new BriskMetrics() })
    const res = await request(appWith(limiter)).get('/').expect(200)
    expect(res.body).toEqual({ captured: false, write: true })
    expect(res.headers['ratelimit-policy']).toBe('"default";q=5;w=60')
    expect(res.headers.ratelimit).toMatch(/^"default";r=4;t=\d+$/)
  })

  it('answers 429 itself, keeping what earlier middleware set (CORS), and the app does not run', async () => {
    const app = appWith(rateLimit({ limit: 1, window: '1m', metrics: new BriskMetrics() }))
    await request(app).get('/').expect(200)
    const refused = await request(app).get('/').expect(429)
    expect(refused.headers['access-control-allow-origin']).toBe('*')
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(refused.text).toBe('Too Many Requests')
  })

  it('leaves errors of the app to Koa', async () => {
    const errors: Error[] = []
    const limiter = rateLimit({ limit: 5, window: '1m', metrics: new BriskMetrics() })
    await request(appWith(limiter, (error) => errors.push(error)))
      .get('/fail')
      .expect(500)
    expect(errors.map((error) => error.message)).toEqual(['route failed'])
  })

  it('waits for an asynchronous decision and lets a failing one reach Koa', async () => {
    let fail = false
    const admit = async (): Promise<Admission> => {
      await new Promise((resolve) => setImmediate(resolve))
      if (fail) throw new Error('decision failed')
      return { headers: { 'x-admitted': 'yes' } }
    }
    const errors: Error[] = []
    const app = appWith(toKoa(admissionMiddleware(admit)), (error) => errors.push(error))
    const ok = await request(app).get('/').expect(200)
    expect(ok.headers['x-admitted']).toBe('yes')
    fail = true
    await request(app).get('/').expect(500)
    expect(errors.map((error) => error.message)).toEqual(['decision failed'])
  })
})
