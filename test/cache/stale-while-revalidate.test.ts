/**
 * stale-while-revalidate through every adapter and both modes: a stale request is answered at
 * once while the app is still busy refreshing the entry in the background, later requests are
 * answered stale without a second refresh, and the refreshed entry serves the next hit. The
 * refresh reaches the app as the client's request would (same client address under the app's
 * proxy trust, same Accept-Encoding), never counts against the client's rate limit, and a
 * mounted Express sub-app is refreshed through the top app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { memoryStore } from '@brisk/cache'
import { BriskMetrics } from '@brisk/core'
import * as briskExpress from '@brisk/express'
import * as briskKoa from '@brisk/koa'
import { front as nodeFront } from '@brisk/node'
import type { StackOptions } from '@brisk/stack'
import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const Koa2 = require('koa2') as typeof Koa
const express4 = require('express4') as typeof express

/** What the route saw of each request that reached it. */
interface Seen {
  ip: string
  acceptEncoding: string | undefined
  ifNoneMatch: string | undefined
}

/** The route: answers the current version; `hold()` makes the next call wait until released. */
function route() {
  let version = 1
  let gate: Promise<void> | undefined
  let entered: (() => void) | undefined
  const seen: Seen[] = []
  return {
    seen,
    async answer(info: Seen): Promise<string> {
      seen.push(info)
      entered?.()
      if (gate !== undefined) await gate
      return `<p>version ${version}</p>`
    },
    /** The next call waits; resolves `entered` once the app is inside it. */
    hold(): { entered: Promise<void>; release: () => void } {
      let release: () => void = () => {}
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined
          version++
          resolve()
        }
      })
      const reached = new Promise<void>((resolve) => {
        entered = () => {
          entered = undefined
          resolve()
        }
      })
      return { entered: reached, release }
    },
  }
}

type Route = ReturnType<typeof route>
const CACHE_CONTROL = 'max-age=10, stale-while-revalidate=60'

function clock() {
  let now = Date.UTC(2026, 0, 1)
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

type Clock = ReturnType<typeof clock>
type Listener = (req: IncomingMessage, res: ServerResponse) => void

/** The stack every variant runs: a limiter that would refuse a second client request, and the cache. */
function stackOptions(time: Clock, metrics: BriskMetrics): StackOptions {
  return {
    rateLimit: { limit: 4, window: '1h' },
    conditional: false,
    compress: false,
    cache: { store: memoryStore({ clock: time }), clock: time },
    logger: false,
    metrics,
  }
}

function expressApp(makeApp: typeof express, r: Route) {
  const app = makeApp()
  app.set('etag', false)
  app.set('trust proxy', 'loopback')
  app.get('/page', (req, res, next) => {
    r.answer({
      ip: req.ip ?? '',
      acceptEncoding: req.headers['accept-encoding'],
      ifNoneMatch: req.headers['if-none-match'],
    }).then((html) => res.set('cache-control', CACHE_CONTROL).type('html').send(html), next)
  })
  return app
}

function koaApp(KoaApp: typeof Koa, r: Route, first?: Koa.Middleware) {
  const app = new KoaApp()
  app.proxy = true
  if (first !== undefined) app.use(first)
  app.use(async (ctx) => {
    ctx.body = await r.answer({
      ip: ctx.ip,
      acceptEncoding: ctx.get('accept-encoding') || undefined,
      ifNoneMatch: ctx.get('if-none-match') || undefined,
    })
    ctx.type = 'html'
    ctx.set('cache-control', CACHE_CONTROL)
  })
  return app
}

interface Variant {
  name: string
  path: string
  build(r: Route, time: Clock, metrics: BriskMetrics): Listener
}

const variants: Variant[] = [
  ...(
    [
      ['Express 4', express4],
      ['Express 5', express],
    ] as const
  ).flatMap(([name, makeApp]): Variant[] => [
    {
      name: `${name} middleware`,
      path: '/page',
      build: (r, time, metrics) => {
        const app = makeApp()
        app.set('trust proxy', 'loopback')
        app.use(briskExpress.stack(stackOptions(time, metrics)))
        app.use(expressApp(makeApp, r))
        return app
      },
    },
    {
      name: `${name} middleware in a mounted sub-app`,
      path: '/blog/page',
      build: (r, time, metrics) => {
        // brisk inside the sub-app: the refresh must still enter through the top app.
        const sub = makeApp()
        sub.set('trust proxy', 'loopback')
        sub.use(briskExpress.stack(stackOptions(time, metrics)))
        sub.use(expressApp(makeApp, r))
        const top = makeApp()
        top.set('trust proxy', 'loopback')
        top.use('/blog', sub)
        return top
      },
    },
    {
      name: `${name} middleware in a sub-app mounted through a Router`,
      path: '/blog/page',
      build: (r, time, metrics) => {
        // No parent chain to walk: the refresh must enter through the server's own listener.
        const sub = makeApp()
        sub.set('trust proxy', 'loopback')
        sub.use(briskExpress.stack(stackOptions(time, metrics)))
        sub.use(expressApp(makeApp, r))
        const router = makeApp.Router()
        router.use('/blog', sub)
        const top = makeApp()
        top.set('trust proxy', 'loopback')
        top.use(router)
        return top
      },
    },
    {
      name: `${name} front`,
      path: '/page',
      build: (r, time, metrics) => briskExpress.front(expressApp(makeApp, r), stackOptions(time, metrics)),
    },
  ]),
  ...(
    [
      ['Koa 2', Koa2],
      ['Koa 3', Koa],
    ] as const
  ).flatMap(([name, KoaApp]): Variant[] => [
    {
      name: `${name} middleware`,
      path: '/page',
      build: (r, time, metrics) => {
        return koaApp(KoaApp, r, briskKoa.stack(stackOptions(time, metrics))).callback()
      },
    },
    {
      name: `${name} front`,
      path: '/page',
      build: (r, time, metrics) => briskKoa.front(koaApp(KoaApp, r), stackOptions(time, metrics)),
    },
  ]),
  {
    name: 'node:http front',
    path: '/page',
    build: (r, time, metrics) =>
      nodeFront(
        (req, res) => {
          void r
            .answer({
              ip: req.socket.remoteAddress ?? '',
              acceptEncoding: req.headers['accept-encoding'],
              ifNoneMatch: req.headers['if-none-match'],
            })
            .then((html) => {
              res.writeHead(200, { 'content-type': 'text/html', 'cache-control': CACHE_CONTROL })
              res.end(html)
            })
        },
        stackOptions(time, metrics),
      ),
  },
]

describe.each(variants)('stale-while-revalidate: $name', ({ build, path }) => {
  it('answers stale at once and refreshes once in the background', async () => {
    const r = route()
    const time = clock()
    const metrics = new BriskMetrics()
    const server = createServer(build(r, time, metrics))
    const get = () => request(server).get(path).set('accept-encoding', 'br').set('if-none-match', '"client"')

    const first = await get().expect(200)
    expect(first.text).toBe('<p>version 1</p>')
    time.advance(15_000)

    // The refresh will hang inside the app until released: the stale answers must not wait for it.
    const held = r.hold()
    const stale = await get().expect(200)
    expect(stale.text).toBe('<p>version 1</p>')
    expect(stale.headers['cache-status']).toMatch(/hit; ttl=-5; detail=stale-while-revalidate/)
    await held.entered
    const again = await get().expect(200)
    expect(again.text).toBe('<p>version 1</p>')
    expect(r.seen).toHaveLength(2)
    expect(metrics.get('cache.refresh')).toBe(1)

    const stored = new Promise<void>((resolve) =>
      metrics.subscribe((name) => name === 'cache.store' && resolve()),
    )
    held.release()
    await stored
    const fresh = await get().expect(200)
    expect(fresh.text).toBe('<p>version 2</p>')
    expect(fresh.headers['cache-status']).toMatch(/hit; ttl=10/)

    // The refresh came as the client's request would, without the client's precondition…
    const [client, refresh] = r.seen as [Seen, Seen]
    expect(refresh.ip).toBe(client.ip)
    expect(refresh.acceptEncoding).toBe('br')
    expect(client.ifNoneMatch).toBeUndefined()
    // …but conditional on the stored entry's own validator, so an app that can answers 304.
    expect(refresh.ifNoneMatch).toBe(first.headers.etag)
    // Four client requests passed the limit of 4: the refresh was not counted.
    expect(metrics.get('ratelimit.allowed')).toBe(4)
    expect(r.seen).toHaveLength(2)
  })
})
