/**
 * Front mode, black box: what earlier middleware made personal is never replayed to another
 * client, on every framework's own front(app). Each row asks twice as two different clients;
 * the second client must get its own answer from the app, never the first one's.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { BriskMetrics } from '@brisk/core'
import { front as expressFront, type ExpressApp } from '@brisk/express'
import { front as koaFront } from '@brisk/koa'
import { front as nodeFront, type FrontOptions } from '@brisk/node'
import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

/** The app's answer for each path, as a plain listener every framework below wraps. */
function answer(req: IncomingMessage, res: ServerResponse, serial: number): void {
  const who = String(req.headers['x-user'] ?? 'anonymous')
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.setHeader('cache-control', 'public, max-age=60')
  res.setHeader('x-request-id', `req-${serial}`)
  if (req.url === '/private') res.setHeader('cache-control', 'private, max-age=60')
  if (req.url === '/no-store') res.setHeader('cache-control', 'no-store')
  if (req.url === '/cookie') res.setHeader('set-cookie', `session=${who}`)
  if (req.url === '/events') res.setHeader('content-type', 'text/event-stream')
  res.end(`page for ${who}`)
}

type Build = (options: FrontOptions) => RequestListener
const FRAMEWORKS: Array<[string, Build]> = [
  [
    'node:http',
    (options) => {
      let serial = 0
      return nodeFront((req, res) => answer(req, res, ++serial), options)
    },
  ],
  ...(
    [
      ['Express 4', express4],
      ['Express 5', express],
    ] as const
  ).map(([name, make]): [string, Build] => [
    name,
    (options) => {
      let serial = 0
      const app = make().use((req, res) => answer(req, res, ++serial))
      return expressFront(app as unknown as ExpressApp, options)
    },
  ]),
  ...(
    [
      ['Koa 2', Koa2],
      ['Koa 3', Koa],
    ] as const
  ).map(([name, KoaApp]): [string, Build] => [
    name,
    (options) => {
      let serial = 0
      const app = new KoaApp()
      app.use((ctx) => {
        ctx.respond = false
        answer(ctx.req, ctx.res, ++serial)
      })
      return koaFront(app, options)
    },
  ]),
]

const OPTIONS: FrontOptions = {
  cache: { ttl: '1m', sessionCookies: ['sid'] },
  perRequestHeaders: ['x-request-id'],
  logger: false,
}

describe.each(FRAMEWORKS)('front mode on %s never replays', (_name, build) => {
  const server = () => createServer(build({ ...OPTIONS, metrics: new BriskMetrics() }))

  it.each(['/private', '/no-store', '/cookie', '/events'])(
    'a %s response to another client',
    async (path) => {
      const app = server()
      await request(app).get(path).set('x-user', 'alice')
      const bob = await request(app).get(path).set('x-user', 'bob')
      expect(bob.text).toBe('page for bob')
      expect(bob.headers['cache-status'] ?? '').not.toMatch(/hit/)
    },
  )

  it('a response to a request with Authorization', async () => {
    const app = server()
    await request(app).get('/auth').set('x-user', 'alice').set('authorization', 'Bearer alice')
    const bob = await request(app).get('/auth').set('x-user', 'bob').set('authorization', 'Bearer bob')
    expect(bob.text).toBe('page for bob')
  })

  it('a response to a request carrying a declared session cookie', async () => {
    const app = server()
    await request(app).get('/session').set('x-user', 'alice').set('cookie', 'sid=alice')
    const bob = await request(app).get('/session').set('x-user', 'bob').set('cookie', 'sid=bob')
    expect(bob.text).toBe('page for bob')
  })

  it('a declared per-request header, while the public page itself is replayed', async () => {
    const app = server()
    const first = await request(app).get('/public')
    expect(first.headers['x-request-id']).toBe('req-1')
    const second = await request(app).get('/public')
    expect(second.headers['cache-status']).toMatch(/hit/)
    expect(second.text).toBe(first.text)
    expect(second.headers['x-request-id']).toBeUndefined()
  })
})
