/**
 * Apps for the audit tests of the response cache, built the way its README shows a user
 * building them: `toKoa(cache(...))` on Koa 2 and 3, `toExpress(cache(...))` on Express 4 and 5,
 * `withBrisk(cache(...), listener)` on node:http. Each app answers a framework-neutral reply
 * with that framework's own calls, so the cases read the same for every framework.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { pipeline, Readable } from 'node:stream'
import type { BriskMiddleware } from '@brisk/core'
import { toExpress } from '@brisk/express'
import { toKoa } from '@brisk/koa'
import { brisk, withBrisk } from '@brisk/node'
import express from 'express'
import Koa from 'koa'

// npm aliases of Koa 2 and Express 4: their APIs are the ones typed.
const require = createRequire(import.meta.url)
const Koa2 = require('koa2') as typeof Koa
const express4 = require('express4') as typeof express

/** What a route answers. */
export interface Reply {
  status?: number
  headers?: Record<string, string | string[]>
  /**
   * Bytes or text; chunks written one by one; `'endless'`: a stream that never ends;
   * `'fails-early'`: 100 bytes, then the stream fails (a database gone mid-render).
   */
  body?: string | Buffer | string[] | 'endless' | 'fails-early'
  /** Throw instead of answering (the framework's own 500). */
  throws?: boolean
  /** Tags declared through the request-context helper. */
  tags?: string[]
  /** Route freshness (ms) and tags declared through the request-context helper's `cacheFor`. */
  cacheFor?: { ttl: number; tags?: string[] }
}

export type Route = (req: IncomingMessage) => Reply | Promise<Reply>

/**
 * What runs before brisk for every request, as a CORS or request-id middleware does: sets
 * fields on the response.
 */
export type Earlier = (req: IncomingMessage, res: ServerResponse) => void

/** What a route declares through the request-context helper, the same on every framework. */
function declare(req: IncomingMessage, reply: Reply): void {
  if (reply.tags !== undefined) brisk(req).tag(...reply.tags)
  if (reply.cacheFor !== undefined) {
    brisk(req).cacheFor(reply.cacheFor.ttl, { tags: reply.cacheFor.tags ?? [] })
  }
}

/** A stream that writes a chunk every tick until the client goes away. */
export function endless(): Readable {
  let n = 0
  return new Readable({
    read() {
      setImmediate(() => this.push(`data: ${n++} ${'x'.repeat(1000)}\n\n`))
    },
  })
}

/** 100 bytes of a page, then an error, as a render whose data source went away. */
function failsEarly(): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) {
        sent = true
        this.push(`<p>${'x'.repeat(93)}</p>`)
      } else setImmediate(() => this.destroy(new Error('database went away')))
    },
  })
}

function bodyStream(body: Reply['body']): Readable | undefined {
  if (body === 'endless') return endless()
  if (body === 'fails-early') return failsEarly()
  if (Array.isArray(body)) return Readable.from(body.map((chunk) => Buffer.from(chunk)))
  return undefined
}

async function writeNode(req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> {
  const reply = await route(req)
  if (reply.throws === true) throw new Error('app failed')
  declare(req, reply)
  res.statusCode = reply.status ?? 200
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
  const stream = bodyStream(reply.body)
  if (stream !== undefined) {
    // As an app should: a failing stream destroys the response, a closed response the stream.
    pipeline(stream, res, () => {})
    return
  }
  res.end(reply.body ?? '')
}

/** An app with `mw` in front of `route`, and `earlier` (when given) in front of `mw`. */
export type Build = (mw: BriskMiddleware, route: Route, earlier?: Earlier) => Server

function koaBuild(KoaApp: typeof Koa): Build {
  return (mw, route, earlier) => {
    const app = new KoaApp()
    app.silent = true
    if (earlier !== undefined) {
      app.use((ctx, next) => {
        earlier(ctx.req, ctx.res)
        return next()
      })
    }
    app.use(toKoa(mw))
    app.use(async (ctx) => {
      const reply = await route(ctx.req)
      if (reply.throws === true) throw new Error('app failed')
      declare(ctx.req, reply)
      ctx.status = reply.status ?? 200
      for (const [field, value] of Object.entries(reply.headers ?? {})) ctx.set(field, value)
      const stream = bodyStream(reply.body)
      if (stream !== undefined) ctx.body = stream
      else if (reply.body !== undefined && ctx.status !== 304 && ctx.status !== 204) ctx.body = reply.body
    })
    return createServer(app.callback())
  }
}

function expressBuild(expressApp: typeof express): Build {
  return (mw, route, earlier) => {
    const app = expressApp()
    app.disable('etag')
    app.disable('x-powered-by')
    if (earlier !== undefined) {
      app.use((req, res, next) => {
        earlier(req, res)
        next()
      })
    }
    app.use(toExpress(mw))
    app.use((req, res, next) => {
      writeNode(req, res, route).catch(next)
    })
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('error')
    })
    return createServer(app)
  }
}

/** withBrisk around the listener; `earlier` in a listener wrapping that one. */
const nodeBuild: Build = (mw, route, earlier) => {
  const inner = withBrisk(
    mw,
    async (req, res) => {
      try {
        await writeNode(req, res, route)
      } catch {
        res.statusCode = 500
        res.end('error')
      }
    },
    { logger: false },
  )
  return createServer(
    earlier === undefined
      ? inner
      : (req, res) => {
          earlier(req, res)
          inner(req, res)
        },
  )
}

export const frameworks: Array<[name: string, build: Build]> = [
  ['node:http', nodeBuild],
  ['Koa 2', koaBuild(Koa2)],
  ['Koa 3', koaBuild(Koa)],
  ['Express 4', expressBuild(express4)],
  ['Express 5', expressBuild(express)],
]

/** Servers a test started; close them in afterEach with {@link closeAll}. */
const servers: Server[] = []

export async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export function track(server: Server): Server {
  servers.push(server)
  return server
}

export async function closeAll(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    if (server.listening) await new Promise((resolve) => server.close(resolve))
  }
}

/** A clock for the cache's `clock` option: starts at `start` and moves only when told. */
export function manualClock(start = Date.now()): { now(): number; advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}
