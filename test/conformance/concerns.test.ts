/**
 * The adapters carrying real concerns, not only the identity: a response cache in front of
 * compression on each framework. A hit must be served without running the handler, with the
 * same bytes; a handler's `brisk(...)` declarations must reach the cache; and SSE must still
 * arrive one event at a time through the compressor, over a real socket.
 */
import { once } from 'node:events'
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { createGunzip, gunzipSync } from 'node:zlib'
import { cache, memoryStore } from '@brisk/cache'
import { compress } from '@brisk/compress'
import { compose, type BriskContext, type BriskMiddleware } from '@brisk/core'
import { brisk as expressBrisk, toExpress } from '@brisk/express'
import { brisk as koaBrisk, toKoa } from '@brisk/koa'
import { brisk as nodeBrisk, withBrisk } from '@brisk/node'
import express from 'express'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { Channel } from './channel.js'
import { FRAMEWORKS, type Framework } from './servers.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

/** A page rendered per request (never a constant string), large enough to be compressed. */
function renderPage(run: number): string {
  return `<!doctype html><title>brisk</title>${Array.from({ length: 400 }, (_, i) => `<p>row ${i} of ${run > 0 ? 'page' : ''}</p>`).join('')}`
}

interface Routes {
  renders: number
  sse?: Channel
  /** `/page`: cacheable; `/private`: the handler says noStore; `/sse`: one event per ack. */
  handle(path: string, context: BriskContext, write: Writer): void
}

interface Writer {
  html(body: string): void
  sse(): { write(text: string): void; end(): void }
}

function routes(): Routes {
  const state: Routes = {
    renders: 0,
    handle(path, context, writer) {
      if (path === '/page') {
        state.renders++
        context.cacheFor('1m', { tags: ['page'] })
        return writer.html(renderPage(state.renders))
      }
      if (path === '/private') {
        state.renders++
        context.noStore()
        return writer.html(renderPage(state.renders))
      }
      const channel = state.sse!
      const stream = writer.sse()
      void (async () => {
        for (let n = 1; n <= 3; n++) {
          channel.sent = n
          stream.write(`data: ${'x'.repeat(2000)} ${n}\n\n`)
          await channel.untilReceived(n)
        }
        stream.end()
      })()
    },
  }
  return state
}

function listenerFor(framework: Framework, middleware: BriskMiddleware, state: Routes): RequestListener {
  if (framework === 'node') {
    return withBrisk(middleware, (req, res) =>
      state.handle(req.url ?? '/', nodeBrisk(req), {
        html: (body) => {
          res.setHeader('Content-Type', 'text/html; charset=utf-8')
          res.end(body)
        },
        sse: () => {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' })
          return { write: (text) => res.write(text), end: () => res.end() }
        },
      }),
    )
  }
  if (framework === 'express4' || framework === 'express5') {
    const app = (framework === 'express4' ? express4 : express)()
    app.use(toExpress(middleware))
    app.get('/:route', (req, res) =>
      state.handle(req.path, expressBrisk(req), {
        html: (body) => void res.type('html').send(body),
        sse: () => {
          res.type('text/event-stream').flushHeaders()
          return { write: (text) => res.write(text), end: () => res.end() }
        },
      }),
    )
    return app
  }
  const app = new (framework === 'koa2' ? Koa2 : Koa)()
  app.use(toKoa(middleware))
  app.use((ctx) =>
    state.handle(ctx.path, koaBrisk(ctx), {
      html: (body) => {
        ctx.type = 'html'
        ctx.body = body
      },
      sse: () => {
        const body = new Readable({ read() {} })
        ctx.type = 'text/event-stream'
        ctx.body = body
        return { write: (text) => body.push(text), end: () => body.push(null) }
      },
    }),
  )
  return app.callback()
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function start(framework: Framework) {
  const state = routes()
  const middleware = compose(cache({ store: memoryStore(), ttl: '1m' }), compress())
  const server = createServer(listenerFor(framework, middleware, state))
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { state, port: (server.address() as AddressInfo).port }
}

function get(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'gzip' } }, resolve)
      .on('error', reject)
      .end()
  })
}

async function bytes(res: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of res) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

describe.each(FRAMEWORKS)('cache and compress through the %s adapter', (framework) => {
  it('serves the second request from the cache without running the handler, same bytes', async () => {
    const { state, port } = await start(framework)
    const first = await get(port, '/page')
    const firstBody = await bytes(first)
    const second = await get(port, '/page')
    const secondBody = await bytes(second)
    expect(first.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(firstBody).toString()).toBe(renderPage(1))
    expect(state.renders).toBe(1)
    expect(second.headers['cache-status']).toMatch(/hit/)
    expect(secondBody.equals(firstBody)).toBe(true)
  })

  it('lets the handler keep a response out of the cache with noStore()', async () => {
    const { state, port } = await start(framework)
    await bytes(await get(port, '/private'))
    await bytes(await get(port, '/private'))
    expect(state.renders).toBe(2)
  })

  it('delivers compressed SSE events one at a time while the stream is open', async () => {
    const { state, port } = await start(framework)
    const channel = new Channel()
    state.sse = channel
    const res = await get(port, '/sse')
    expect(res.headers['content-encoding']).toBe('gzip')
    const events: string[] = []
    let pending = ''
    for await (const chunk of res.pipe(createGunzip())) {
      pending += (chunk as Buffer).toString()
      let end: number
      while ((end = pending.indexOf('\n\n')) !== -1) {
        events.push(pending.slice(0, end))
        pending = pending.slice(end + 2)
        expect(channel.sent).toBe(events.length)
        channel.receivedEvent(events.length)
      }
    }
    expect(events.map((event) => event.slice(-1))).toEqual(['1', '2', '3'])
  })
})
