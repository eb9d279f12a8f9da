import { createRequire } from 'node:module'
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import { BriskMetrics } from '@brisk/core'
import express from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { brisk } from './request-context.js'
import { front, listen, type ExpressFrontOptions } from './front.js'

const express4 = createRequire(import.meta.url)('express4') as typeof express

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe.each([
  ['Express 4', express4],
  ['Express 5', express],
])('front on %s', (_name, makeApp) => {
  /** An app that counts how often Express itself ran (its first middleware). */
  function setup(options: ExpressFrontOptions = {}, configure?: (app: express.Express) => void) {
    const runs = { express: 0 }
    const app = makeApp()
    configure?.(app)
    app.use((_req, _res, next) => {
      runs.express++
      next()
    })
    app.get('/private', (_req, res) => void res.set('cache-control', 'private, max-age=60').send('mine'))
    app.get('/cookie', (_req, res) => void res.cookie('session', 'secret').send('with cookie'))
    app.get('/declared', (req, res) => {
      brisk(req).cacheFor('1m', { tags: ['declared'] })
      res.send('declared')
    })
    app.use((req, res) => {
      res.set('x-request-id', `app-${runs.express}`)
      res.set('cache-tag', 'page')
      res.type('html').send(`<p>${req.url} ${'x'.repeat(2000)}</p>`)
    })
    const listener = front(app, {
      logger: false,
      metrics: new BriskMetrics(),
      cache: { ttl: '30s' },
      ...options,
    })
    return { server: createServer(listener), runs, listener }
  }

  it('answers a fresh hit without entering Express', async () => {
    const { server, runs } = setup()
    const first = await request(server).get('/page')
    const hit = await request(server).get('/page')
    expect(hit.status).toBe(200)
    expect(hit.text).toBe(first.text)
    expect(hit.headers['cache-status']).toMatch(/hit/)
    expect(runs.express).toBe(1)
  })

  it('answers 304 from stored validators and HEAD from the GET entry without entering Express', async () => {
    const { server, runs } = setup()
    const first = await request(server).get('/page')
    await request(server)
      .get('/page')
      .set('if-none-match', first.headers.etag as string)
      .expect(304)
    const head = await request(server).head('/page').set('accept-encoding', 'gzip, deflate')
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(first.headers['content-length'])
    expect(runs.express).toBe(1)
  })

  it('answers 429 from the limiter without entering Express', async () => {
    const { server, runs } = setup({ rateLimit: { limit: 1, window: '1m' } })
    await request(server).get('/a').expect(200)
    await request(server).get('/b').expect(429)
    expect(runs.express).toBe(1)
  })

  it("keys the limiter on the client address the app's trust proxy gives", async () => {
    const trusted = setup({ rateLimit: { limit: 1, window: '1m' } }, (app) =>
      app.set('trust proxy', 'loopback'),
    )
    await request(trusted.server).get('/a').set('x-forwarded-for', '203.0.113.1').expect(200)
    await request(trusted.server).get('/a').set('x-forwarded-for', '203.0.113.2').expect(200)
    const untrusted = setup({ rateLimit: { limit: 1, window: '1m' } })
    await request(untrusted.server).get('/a').set('x-forwarded-for', '203.0.113.1').expect(200)
    await request(untrusted.server).get('/a').set('x-forwarded-for', '203.0.113.2').expect(429)
  })

  it('stores what the app declared with brisk(req).cacheFor and purges it by tag through .cache', async () => {
    const { server, runs, listener } = setup({ cache: true })
    await request(server).get('/declared')
    expect((await request(server).get('/declared')).headers['cache-status']).toMatch(/hit/)
    expect(runs.express).toBe(1)
    expect(await listener.cache?.purgeTag('declared')).toBe(1)
    await request(server).get('/declared')
    expect(runs.express).toBe(2)
  })

  it('never replays a private response or a Set-Cookie response', async () => {
    const { server, runs } = setup()
    for (const path of ['/private', '/cookie']) {
      await request(server).get(path)
      const again = await request(server).get(path)
      expect(again.headers['cache-status']).not.toMatch(/hit/)
    }
    expect((await request(server).get('/cookie')).headers['set-cookie']).toBeDefined()
    expect(runs.express).toBe(5)
  })

  it('never replays a declared per-request header; onHit gives hits their own', async () => {
    let hits = 0
    const { server } = setup({
      perRequestHeaders: ['X-Request-Id'],
      onHit: (_req, headers) => {
        headers['x-request-id'] = `hit-${++hits}`
      },
    })
    const first = await request(server).get('/page')
    expect(first.headers['x-request-id']).toBe('app-1')
    const second = await request(server).get('/page')
    expect(second.headers['cache-status']).toMatch(/hit/)
    expect(second.headers['x-request-id']).toBe('hit-1')
  })

  it('follows route choices: a cache: false route always reaches the app', async () => {
    const { server, runs } = setup({ routes: [{ path: '/admin/**', cache: false }] })
    await request(server).get('/admin/users')
    const again = await request(server).get('/admin/users')
    expect(again.headers['cache-status']).toBeUndefined()
    await request(server).get('/public')
    await request(server).get('/public')
    expect(runs.express).toBe(3)
  })

  it('listen() returns a listening server', async () => {
    const app = makeApp().use((_req, res) => void res.send('listening'))
    const server = listen(app, 0, { logger: false })
    servers.push(server)
    await new Promise((resolve) => server.once('listening', resolve))
    expect((await request(server).get('/')).text).toBe('listening')
  })

  it('refuses a non-app and options that front mode takes from the app', () => {
    expect(() => front({} as never)).toThrow(/app/)
    expect(() => front(makeApp(), { trustProxy: true } as never)).toThrow(/trustProxy/)
    expect(() => front(makeApp(), { routes: [{ path: 'admin' }] })).toThrow(/routes\[0\]\.path/)
    expect(() => front(makeApp(), { perRequestHeaders: ['bad header'] })).toThrow(/perRequestHeaders/)
  })
})
