/**
 * The limiter's client address cannot be chosen by the client: X-Forwarded-For is ignored
 * unless proxy trust is configured (on each adapter, with the framework's own setting), and
 * an IPv6 client rotating through the addresses of its /56 stays one client.
 */
import { createServer, type Server } from 'node:http'
import type { BriskMiddleware } from '@brisk/core'
import { withBrisk, type TrustProxy } from '@brisk/node'
import { toKoa } from '@brisk/koa'
import { toExpress } from '@brisk/express'
import { rateLimit } from '@brisk/ratelimit'
import express from 'express'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { close, listen, send } from '../hostile/raw-http.js'

type Framework = 'node' | 'koa' | 'express'

let server: Server | undefined
afterEach(async () => {
  if (server !== undefined) await close(server)
  server = undefined
})

/** Serves `limiter` in front of a 200 on the given framework, trusting loopback proxies when asked. */
async function start(framework: Framework, limiter: BriskMiddleware, trust: boolean): Promise<number> {
  if (framework === 'node') {
    const trustProxy: TrustProxy = trust ? 'loopback' : false
    server = createServer(withBrisk(limiter, (_req, res) => res.end('ok'), { trustProxy, logger: false }))
  } else if (framework === 'koa') {
    const app = new Koa()
    app.proxy = trust
    // One proxy in front: Koa then reads the last X-Forwarded-For entry (the hop the proxy
    // added). With the default maxIpsCount 0, Koa takes the first entry, which the client wrote.
    app.maxIpsCount = 1
    app.use(toKoa(limiter))
    app.use((ctx) => {
      ctx.body = 'ok'
    })
    server = createServer(app.callback())
  } else {
    const app = express()
    app.set('trust proxy', trust ? 'loopback' : false)
    app.use(toExpress(limiter))
    app.get('/', (_req, res) => {
      res.send('ok')
    })
    server = createServer(app)
  }
  return listen(server)
}

const frameworks: Framework[] = ['node', 'koa', 'express']

describe.each(frameworks)('X-Forwarded-For on %s', (framework) => {
  it('is ignored without proxy trust: a client cannot escape its limit by inventing addresses', async () => {
    const port = await start(framework, rateLimit({ limit: 2, window: '1m' }), false)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      statuses.push((await send(port, '/', { 'x-forwarded-for': `198.51.100.${i}` })).status)
    }
    expect(statuses).toEqual([200, 200, 429, 429, 429])
  })

  it('is believed when a trusted proxy (loopback) sends it: each forwarded client has its own limit', async () => {
    const port = await start(framework, rateLimit({ limit: 1, window: '1m' }), true)
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      statuses.push((await send(port, '/', { 'x-forwarded-for': `198.51.100.${i}` })).status)
    }
    statuses.push((await send(port, '/', { 'x-forwarded-for': '198.51.100.0' })).status)
    expect(statuses).toEqual([200, 200, 200, 429])
  })

  it('takes the address the trusted proxy appended, not one the client prepended', async () => {
    const port = await start(framework, rateLimit({ limit: 1, window: '1m' }), true)
    expect((await send(port, '/', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200)
    // The client forges a fresh first entry; the hop the loopback proxy added stays the same.
    expect((await send(port, '/', { 'x-forwarded-for': '10.9.9.9, 203.0.113.7' })).status).toBe(429)
  })
})

describe('IPv6 rotation', () => {
  it('limits a client rotating through addresses of its /56 as one client, and a neighbour /56 apart', async () => {
    const port = await start('node', rateLimit({ limit: 3, window: '1m' }), true)
    const within = [
      '2001:db8:0:1::1',
      '2001:db8:0:2::abcd',
      '2001:db8:0:ff:ffff:ffff:ffff:ffff',
      '2001:db8:0:7::9',
    ]
    const statuses: number[] = []
    for (const address of within)
      statuses.push((await send(port, '/', { 'x-forwarded-for': address })).status)
    expect(statuses).toEqual([200, 200, 200, 429])
    expect((await send(port, '/', { 'x-forwarded-for': '2001:db8:0:100::1' })).status).toBe(200)
  })

  it('counts an IPv4-mapped IPv6 address as its IPv4 client', async () => {
    const port = await start('node', rateLimit({ limit: 1, window: '1m' }), true)
    expect((await send(port, '/', { 'x-forwarded-for': '192.0.2.44' })).status).toBe(200)
    expect((await send(port, '/', { 'x-forwarded-for': '::ffff:192.0.2.44' })).status).toBe(429)
  })

  it('answers garbage in X-Forwarded-For from a trusted proxy without failing', async () => {
    const port = await start('node', rateLimit({ limit: 100, window: '1m' }), true)
    for (const value of [
      '',
      'not-an-ip',
      '999.999.999.999',
      '::::',
      `${'1.1.1.1, '.repeat(1500)}x`,
      '[::1]:80',
      'unknown',
    ]) {
      expect((await send(port, '/', { 'x-forwarded-for': value })).status).toBe(200)
    }
  })
})
