/**
 * A smoke run of hostile requests through the full stack on Koa and Express: the same
 * malformed and oversized fields that the node:http tests cover get a correct answer there
 * too (the page's exact bytes, a 304/412 only for a precondition, no 5xx, no hang).
 */
import { createServer, type Server } from 'node:http'
import { memoryStore } from '@brisk/cache'
import { toExpress } from '@brisk/express'
import { toKoa } from '@brisk/koa'
import { createStack } from '@brisk/stack'
import express from 'express'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, listen, send } from './raw-http.js'

const PAGE = `<!doctype html>${'<p>smoke</p>'.repeat(300)}`

const stack = () =>
  createStack({
    rateLimit: { limit: 1_000_000, window: '1m' },
    cache: { ttl: '30s', store: memoryStore({ maxSize: '1 MB' }) },
    logger: false,
  })

function koaServer(): Server {
  const app = new Koa()
  app.use(toKoa(stack()))
  app.use((ctx) => {
    ctx.set('etag', '"k1"')
    ctx.type = 'html'
    ctx.body = PAGE
  })
  return createServer({ maxHeaderSize: 64 * 1024 }, app.callback())
}

function expressServer(): Server {
  const app = express()
  app.use(toExpress(stack()))
  app.use((_req, res) => {
    res.set('etag', '"k1"')
    res.type('html').send(PAGE)
  })
  return createServer({ maxHeaderSize: 64 * 1024 }, app)
}

const cases: [string, string, Record<string, string>][] = [
  ['an odd Accept-Encoding', '/', { 'accept-encoding': 'gzip;q=0.5, br;q=abc, *;q=0.1' }],
  ['a 16 KB Accept-Encoding', '/', { 'accept-encoding': 'br, '.repeat(4096) }],
  ['a broken Cache-Control', '/', { 'cache-control': 'max-age=-1,,=,"' }],
  ['a 16 KB If-None-Match', '/', { 'if-none-match': '"z", '.repeat(3000) }],
  ['an impossible If-Modified-Since', '/', { 'if-modified-since': 'Fri, 32 Feb 2030 25:61:61 GMT' }],
  ['a Range of 500 parts', '/', { range: `bytes=${'1-2,'.repeat(499)}3-4` }],
  ['an encoded slash', '/a%2Fb', {}],
  ['an 8 KB query string', `/?${'q=1&'.repeat(2000)}`, {}],
  ['a unicode path', '/%E2%9C%93/%F0%9F%98%80', {}],
  ['a percent-escape that decodes to nothing', '/%ZZ%', {}],
]

describe.each([
  ['Koa', koaServer],
  ['Express', expressServer],
])('hostile requests through the full stack on %s', (_name, make) => {
  let server: Server
  let port: number
  beforeAll(async () => {
    server = make()
    port = await listen(server)
  })
  afterAll(async () => {
    await close(server)
  })

  it.each(cases)('answers %s with the page', async (_label, path, headers) => {
    for (let i = 0; i < 2; i++) {
      const response = await send(port, path, headers)
      expect([200, 400]).toContain(response.status)
      if (response.status === 200) expect(response.body.toString()).toBe(PAGE)
    }
  })

  it('answers a matching If-None-Match with 304 and a failing If-Match with 412', async () => {
    expect((await send(port, '/v', { 'if-none-match': 'W/"x", "k1"' })).status).toBe(304)
    expect((await send(port, '/v', { 'if-match': '"nope"' })).status).toBe(412)
  })
})
