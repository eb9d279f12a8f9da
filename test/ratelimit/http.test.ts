import { createServer, type RequestListener } from 'node:http'
import { createRequire } from 'node:module'
import { toExpress } from '@brisk/express'
import { toKoa } from '@brisk/koa'
import { withBrisk } from '@brisk/node'
import { memoryStore, rateLimit } from '@brisk/ratelimit'
import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'

type MakeListener = (trustProxy: boolean) => RequestListener

// npm aliases of Koa 2 and Express 4; their APIs are the ones @types/koa and @types/express describe.
const require = createRequire(import.meta.url)
const Koa2 = require('koa2') as typeof Koa
const express4 = require('express4') as typeof express

function koaApp(KoaClass: typeof Koa): MakeListener {
  return (trustProxy) => {
    const app = new KoaClass()
    app.proxy = trustProxy
    app.use(toKoa(limiter()))
    app.use((ctx) => {
      ctx.body = 'ok'
    })
    return app.callback()
  }
}

function expressApp(expressFactory: typeof express): MakeListener {
  return (trustProxy) => {
    const app = expressFactory()
    app.set('trust proxy', trustProxy)
    app.use(toExpress(limiter()))
    app.get('/', (_req, res) => {
      res.send('ok')
    })
    return app as unknown as RequestListener
  }
}

// Each framework decides the client address by its own proxy-trust setting; the limiter
// only reads what the adapter derived.
const limiter = () => rateLimit({ limit: 1, window: '1h', store: memoryStore() })
const frameworks: [string, MakeListener][] = [
  ['Koa 3 (app.proxy)', koaApp(Koa)],
  ['Koa 2 (app.proxy)', koaApp(Koa2)],
  ['Express 5 (trust proxy)', expressApp(express)],
  ['Express 4 (trust proxy)', expressApp(express4)],
  [
    'node:http (trustProxy option)',
    (trustProxy) =>
      withBrisk(
        limiter(),
        (_req, res) => {
          res.end('ok')
        },
        { trustProxy },
      ) as RequestListener,
  ],
]

describe.each(frameworks)('rateLimit over HTTP with %s', (_name, make) => {
  it('ignores X-Forwarded-For when proxies are not trusted, so a client cannot spoof its way past', async () => {
    const server = createServer(make(false))
    const agent = request(server)
    await agent.get('/').set('X-Forwarded-For', '198.51.100.1').expect(200)
    await agent.get('/').set('X-Forwarded-For', '198.51.100.2').expect(429)
  })

  it('counts forwarded clients separately when the proxy is trusted', async () => {
    const server = createServer(make(true))
    const agent = request(server)
    await agent.get('/').set('X-Forwarded-For', '198.51.100.1').expect(200)
    await agent.get('/').set('X-Forwarded-For', '198.51.100.2').expect(200)
    await agent.get('/').set('X-Forwarded-For', '198.51.100.1').expect(429)
  })

  it('writes the RateLimit fields on the app response and a complete 429', async () => {
    const server = createServer(make(false))
    const agent = request(server)
    const first = await agent.get('/').expect(200)
    expect(first.text).toBe('ok')
    expect(first.headers['ratelimit-policy']).toBe('"default";q=1;w=3600')
    expect(first.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/)
    const refused = await agent.get('/').set('Accept', 'application/json').expect(429)
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)
    expect(refused.headers['content-type']).toBe('application/problem+json')
    expect(refused.body['violated-policies']).toEqual(['default'])
  })
})
