/**
 * Black-box audit of front mode's correctness, from the READMEs alone, with apps written in
 * each framework's own idiom (Express middleware and `res.cookie`, Koa `ctx.set` and
 * `ctx.cookies`, a plain listener): the same options object in middleware mode
 * (`app.use(stack(options))`) and front mode (`front(app, options)`) gives the same answers,
 * limiter fields included; a 429 never enters the framework; and what earlier middleware made
 * private, a Set-Cookie response, a request with Authorization or a declared session cookie,
 * and a declared per-request header are never replayed to another client.
 */
import { createServer, get, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { BriskMetrics } from '@brisk/core'
import * as briskExpress from '@brisk/express'
import * as briskKoa from '@brisk/koa'
import { brisk as nodeBrisk, front as nodeFront, withBrisk, type FrontOptions } from '@brisk/node'
import { memoryStore as limiterStore } from '@brisk/ratelimit'
import { createStack } from '@brisk/stack'
import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

type Framework = 'Express 4' | 'Express 5' | 'Koa 2' | 'Koa 3' | 'node:http'
const FRAMEWORKS: readonly Framework[] = ['Express 4', 'Express 5', 'Koa 2', 'Koa 3', 'node:http']

interface Built {
  listener: RequestListener
  /** Requests that reached the framework (its first middleware). */
  readonly entered: number
}

/**
 * The same site on every framework: `/public` (cacheFor 1 m), `/private` (Cache-Control:
 * private set by earlier middleware, then cacheFor), `/login` (Set-Cookie and public),
 * `/account` (names the session user). An earlier middleware sets a per-request
 * `X-Request-Id` and reads the session cookie `sid`, as session middleware would.
 */
function site(framework: Framework, mode: 'middleware' | 'front', options: FrontOptions): Built {
  const state = { entered: 0, serial: 0 }
  const { routes, perRequestHeaders, onHit, ...stackOptions } = options
  void routes
  void perRequestHeaders
  void onHit
  const who = (req: IncomingMessage): string => {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
    return sid ?? String(req.headers['x-user'] ?? 'anonymous')
  }
  const built: Built = {
    listener: () => undefined,
    get entered() {
      return state.entered
    },
  }

  if (framework === 'Express 4' || framework === 'Express 5') {
    const app = (framework === 'Express 4' ? express4 : express)()
    app.use((req, res, next) => {
      state.entered++
      res.set('X-Request-Id', `req-${++state.serial}`)
      if (req.path === '/private') res.set('Cache-Control', 'private')
      next()
    })
    if (mode === 'middleware') app.use(briskExpress.stack(stackOptions))
    app.get('/public', (req, res) => {
      briskExpress.brisk(req).cacheFor('1m')
      res.send(`public page, rendered for ${who(req)}`)
    })
    app.get('/private', (req, res) => {
      briskExpress.brisk(req).cacheFor('1m')
      res.send(`private page of ${who(req)}`)
    })
    app.get('/login', (req, res) => {
      res.cookie('sid', who(req))
      res.set('Cache-Control', 'public, max-age=60')
      res.send(`welcome ${who(req)}`)
    })
    app.get('/account', (req, res) => {
      res.set('Cache-Control', 'public, max-age=60')
      res.send(`account of ${who(req)}`)
    })
    built.listener =
      mode === 'front'
        ? briskExpress.front(app as unknown as briskExpress.ExpressApp, options)
        : (app as unknown as RequestListener)
    return built
  }

  if (framework === 'Koa 2' || framework === 'Koa 3') {
    const app = new (framework === 'Koa 2' ? Koa2 : Koa)()
    app.use(async (ctx, next) => {
      state.entered++
      ctx.set('X-Request-Id', `req-${++state.serial}`)
      if (ctx.path === '/private') ctx.set('Cache-Control', 'private')
      await next()
    })
    if (mode === 'middleware') app.use(briskKoa.stack(stackOptions))
    app.use((ctx) => {
      const user = ctx.cookies.get('sid') ?? String(ctx.get('x-user') || 'anonymous')
      if (ctx.path === '/public') {
        briskKoa.brisk(ctx).cacheFor('1m')
        ctx.body = `public page, rendered for ${user}`
      } else if (ctx.path === '/private') {
        briskKoa.brisk(ctx).cacheFor('1m')
        ctx.body = `private page of ${user}`
      } else if (ctx.path === '/login') {
        ctx.cookies.set('sid', user)
        ctx.set('Cache-Control', 'public, max-age=60')
        ctx.body = `welcome ${user}`
      } else if (ctx.path === '/account') {
        ctx.set('Cache-Control', 'public, max-age=60')
        ctx.body = `account of ${user}`
      }
    })
    built.listener = mode === 'front' ? briskKoa.front(app, options) : (app.callback() as RequestListener)
    return built
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    state.entered++
    res.setHeader('X-Request-Id', `req-${++state.serial}`)
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    const path = (req.url ?? '/').split(/[?#]/)[0]
    if (path === '/public') {
      nodeBrisk(req).cacheFor('1m')
      res.end(`public page, rendered for ${who(req)}`)
    } else if (path === '/private') {
      res.setHeader('Cache-Control', 'private')
      nodeBrisk(req).cacheFor('1m')
      res.end(`private page of ${who(req)}`)
    } else if (path === '/login') {
      res.setHeader('Set-Cookie', `sid=${who(req)}; Path=/`)
      res.setHeader('Cache-Control', 'public, max-age=60')
      res.end(`welcome ${who(req)}`)
    } else if (path === '/account') {
      res.setHeader('Cache-Control', 'public, max-age=60')
      res.end(`account of ${who(req)}`)
    } else {
      res.statusCode = 404
      res.end('not found')
    }
  }
  built.listener =
    mode === 'front'
      ? nodeFront(listener, options)
      : (withBrisk(createStack(stackOptions), listener, { logger: false }) as RequestListener)
  return built
}

// An hour boundary plus 15 s (see the limiter audit): every RateLimit value is exact.
const T0 = 3_600_000 * 472_222 + 15_000

/** One options object for both modes, as the README's switch back promises. */
function options(extra: Partial<FrontOptions> = {}): FrontOptions {
  return {
    rateLimit: {
      policies: [
        { name: 'burst', limit: 5, window: '10s', algorithm: 'token-bucket' },
        { name: 'hour', limit: 100, window: '1h', algorithm: 'fixed-window' },
      ],
      store: limiterStore({ now: () => T0 }),
      now: () => T0,
    },
    cache: { sessionCookies: ['sid'] },
    logger: false,
    metrics: new BriskMetrics(),
    ...extra,
  }
}

/** What a client sees of an answer, with the fields that belong to one request set aside. */
async function observe(
  listener: RequestListener,
  method: 'get' | 'head',
  path: string,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await request(listener)[method](path).set(headers)
  const h = response.headers
  return {
    status: response.status,
    body: response.text ?? '',
    ratelimit: h.ratelimit,
    'ratelimit-policy': h['ratelimit-policy'],
    'retry-after': h['retry-after'],
    'content-type': h['content-type'],
    'content-length': h['content-length'],
    'cache-control': h['cache-control'],
    'cache-status': h['cache-status'],
    etag: h.etag,
    vary: h.vary,
  }
}

/**
 * GETs sent as written, one after another: superagent would drop a `#fragment` before sending,
 * Node's client sends it.
 */
async function rawGets(
  listener: RequestListener,
  targets: string[],
): Promise<Array<{ status: number; cacheStatus: string }>> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    const answers: Array<{ status: number; cacheStatus: string }> = []
    for (const path of targets) {
      answers.push(
        await new Promise((resolve, reject) => {
          get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
            res.resume()
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                cacheStatus: String(res.headers['cache-status'] ?? ''),
              }),
            )
          }).on('error', reject)
        }),
      )
    }
    return answers
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

describe.each(FRAMEWORKS)('front mode on %s', (framework) => {
  it("keeps a route's rules for a target with a #fragment, which the app routes as the path", async () => {
    const uncached = site(framework, 'front', options({ routes: [{ path: '/account', cache: false }] }))
    const twice = await rawGets(uncached.listener, ['/account#a', '/account#b'])
    expect(twice.map((answer) => answer.status)).toEqual([200, 200])
    expect(twice[1]!.cacheStatus).not.toMatch(/hit/)
    expect(uncached.entered).toBe(2)

    const limited = site(
      framework,
      'front',
      options({
        rateLimit: false,
        routes: [
          { path: '/account', rateLimit: { limit: 1, window: '1m', store: limiterStore({ now: () => T0 }) } },
        ],
      }),
    )
    const statuses = await rawGets(limited.listener, ['/account#a', '/account#b'])
    expect(statuses.map((answer) => answer.status)).toEqual([200, 429])
    expect(limited.entered).toBe(1)
  })

  it('answers like middleware mode with the same options, the limiter fields included', async () => {
    const sequence: [method: 'get' | 'head', path: string, headers?: Record<string, string>][] = [
      ['get', '/public'], // miss, stored
      ['get', '/public'], // hit: its RateLimit fields are this request's
      ['head', '/public', { 'Accept-Encoding': 'gzip, deflate' }], // HEAD from the GET entry
      ['get', '/public', { 'Accept-Encoding': 'gzip' }],
      ['get', '/public', { Accept: 'application/json' }], // the 6th: the burst of 5 is spent
      ['head', '/public'],
      ['get', '/account', { Accept: 'text/html' }], // refused too: the limiter comes first
    ]
    const middleware = site(framework, 'middleware', options())
    const front = site(framework, 'front', options())
    for (const [method, path, headers] of sequence) {
      const fromMiddleware = await observe(middleware.listener, method, path, headers)
      const fromFront = await observe(front.listener, method, path, headers)
      expect(fromFront, `${method.toUpperCase()} ${path} ${JSON.stringify(headers ?? {})}`).toEqual(
        fromMiddleware,
      )
    }
    // The refusals really were refusals, and front mode never ran the framework for them.
    const refused = await observe(front.listener, 'get', '/public')
    expect(refused.status).toBe(429)
    // Only the first miss ran the app: the hits, the HEAD and the 429s did not.
    expect(front.entered).toBe(1)
  })

  it.each(['middleware', 'front'] as const)(
    'gives a hit the RateLimit fields of its own client, never stored ones (%s mode)',
    async (mode) => {
      const built = site(
        framework,
        mode,
        options({
          rateLimit: {
            limit: 5,
            window: '1m',
            algorithm: 'fixed-window',
            store: limiterStore({ now: () => T0 }),
            key: (req) => String(req.headers['x-user']),
          },
        }),
      )
      const get = (user: string) => request(built.listener).get('/public').set('x-user', user)
      expect((await get('alice')).headers.ratelimit).toBe('"default";r=4;t=45')
      expect((await get('alice')).headers.ratelimit).toBe('"default";r=3;t=45')
      const bob = await get('bob')
      expect(bob.headers['cache-status']).toMatch(/hit/)
      expect(bob.text).toBe('public page, rendered for alice')
      expect(bob.headers.ratelimit).toBe('"default";r=4;t=45')
    },
  )

  it('never replays a page earlier middleware made private', async () => {
    const front = site(framework, 'front', options({ rateLimit: undefined }))
    await request(front.listener).get('/private').set('x-user', 'alice').expect(200)
    const bob = await request(front.listener).get('/private').set('x-user', 'bob').expect(200)
    expect(bob.text).toBe('private page of bob')
    expect(bob.headers['cache-status'] ?? '').not.toMatch(/hit/)
  })

  it('never replays a Set-Cookie response, nor its cookie', async () => {
    const front = site(framework, 'front', options({ rateLimit: undefined }))
    const alice = await request(front.listener).get('/login').set('x-user', 'alice').expect(200)
    expect(String(alice.headers['set-cookie'])).toMatch(/sid=alice/)
    const bob = await request(front.listener).get('/login').set('x-user', 'bob').expect(200)
    expect(bob.text).toBe('welcome bob')
    expect(String(bob.headers['set-cookie'])).not.toMatch(/alice/)
  })

  it('never answers a request with a declared session cookie or Authorization from the store', async () => {
    const front = site(framework, 'front', options({ rateLimit: undefined }))
    const anonymous = await request(front.listener).get('/account').expect(200)
    expect(anonymous.text).toBe('account of anonymous')
    const hit = await request(front.listener).get('/account').expect(200)
    expect(hit.headers['cache-status']).toMatch(/hit/)
    // Alice is logged in: the stored anonymous page is not hers, and hers is not stored.
    const alice = await request(front.listener).get('/account').set('Cookie', 'sid=alice').expect(200)
    expect(alice.text).toBe('account of alice')
    const withAuth = await request(front.listener)
      .get('/account')
      .set('x-user', 'carol')
      .set('Authorization', 'Bearer carol')
      .expect(200)
    expect(withAuth.text).toBe('account of carol')
    const again = await request(front.listener).get('/account').expect(200)
    expect(again.text).toBe('account of anonymous')
  })

  it('never replays a declared per-request header; onHit gives hits their own', async () => {
    let hits = 0
    const front = site(
      framework,
      'front',
      options({
        rateLimit: undefined,
        perRequestHeaders: ['x-request-id'],
        onHit: (_req, headers) => {
          headers['x-request-id'] = `hit-${++hits}`
        },
      }),
    )
    const first = await request(front.listener).get('/public').expect(200)
    expect(first.headers['x-request-id']).toBe('req-1')
    const second = await request(front.listener).get('/public').expect(200)
    expect(second.headers['cache-status']).toMatch(/hit/)
    expect(second.text).toBe(first.text)
    expect(second.headers['x-request-id']).toBe('hit-1')
    // superagent sends no Accept-Encoding with HEAD: ask for the variant the GETs got.
    const third = await request(front.listener)
      .head('/public')
      .set('Accept-Encoding', 'gzip, deflate')
      .expect(200)
    expect(third.headers['cache-status']).toMatch(/hit/)
    expect(third.headers['x-request-id']).toBe('hit-2')
  })

  it('takes route-level choices by path pattern: an unlimited path is neither counted nor labelled', async () => {
    const front = site(
      framework,
      'front',
      options({
        rateLimit: { limit: 1, window: '1m', store: limiterStore({ now: () => T0 }) },
        routes: [{ path: '/account', rateLimit: false }],
      }),
    )
    for (let i = 0; i < 3; i++) {
      const free = await request(front.listener).get('/account').expect(200)
      expect(free.headers.ratelimit).toBeUndefined()
    }
    await request(front.listener).get('/public').expect(200)
    await request(front.listener).get('/public').expect(429)
  })

  it('runs onHit on a 429 and keeps the refusal out of the store', async () => {
    const seen: number[] = []
    const front = site(
      framework,
      'front',
      options({
        rateLimit: { limit: 1, window: '1m', store: limiterStore({ now: () => T0 }) },
        onHit: () => void seen.push(1),
      }),
    )
    await request(front.listener).get('/public').expect(200)
    const refused = await request(front.listener).get('/public').expect(429)
    expect(refused.headers['cache-control']).toBe('no-store')
    expect(seen.length).toBeGreaterThanOrEqual(1)
    expect(front.entered).toBe(1)
  })
})
