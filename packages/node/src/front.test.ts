import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { cache, type ResponseCache } from '@brisk/cache'
import { BriskMetrics, type BriskRequest, type BriskResponse } from '@brisk/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { front, listen, type FrontOptions } from './front.js'

function setup(options: FrontOptions = {}) {
  const runs = { app: 0 }
  const listener = front(
    (req: IncomingMessage, res: ServerResponse) => {
      runs.app++
      res.setHeader('content-type', 'text/plain')
      res.setHeader('x-request-id', `app-${runs.app}`)
      res.setHeader('cache-tag', req.url?.startsWith('/api/') ? 'api' : 'page')
      res.end(`${req.url} ${'y'.repeat(3000)}`)
    },
    { logger: false, metrics: new BriskMetrics(), cache: { ttl: '30s' }, ...options },
  )
  return { server: createServer(listener), runs, listener }
}

describe('front (node:http)', () => {
  it('answers a fresh hit without running the listener', async () => {
    const { server, runs } = setup()
    await request(server).get('/a')
    expect((await request(server).get('/a')).headers['cache-status']).toMatch(/hit/)
    expect(runs.app).toBe(1)
  })

  it.each([
    [{}, true],
    [{ observableHeaders: false }, false],
  ] as const)(
    "with %o, a logger around the listener reads a hit's Cache-Status: %s",
    async (option, logged) => {
      const { listener } = setup(option)
      const seen: unknown[] = []
      const server = createServer((req, res) => {
        res.once('finish', () => seen.push(res.getHeader('cache-status')))
        listener(req, res)
      })
      await request(server).get('/a')
      const hit = await request(server).get('/a')
      // The client gets every field either way; only what res.getHeader() sees differs.
      expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=/)
      expect(hit.headers['content-type']).toBe('text/plain')
      expect(seen[1]).toBe(logged ? hit.headers['cache-status'] : undefined)
    },
  )

  it("refuses an observableHeaders other than true, false or 'auto'", () => {
    expect(() => front(() => {}, { observableHeaders: 'yes' as never })).toThrow(/observableHeaders/)
  })

  it('gives a route its own cache options on the shared store, so one purge reaches every route', async () => {
    const { server, runs, listener } = setup({
      cache: true,
      routes: [{ path: '/api/**', cache: { ttl: '10s' } }],
    })
    await request(server).get('/api/posts')
    expect((await request(server).get('/api/posts')).headers['cache-status']).toMatch(/hit/)
    // Outside the route the front cache has no ttl and the response declares no freshness.
    await request(server).get('/page')
    await request(server).get('/page')
    expect(runs.app).toBe(3)
    expect(await listener.cache?.purgeTag('api')).toBe(1)
    await request(server).get('/api/posts')
    expect(runs.app).toBe(4)
  })

  it("merges a route's cache options over a built cache()'s own: its session cookies still keep pages out", async () => {
    const { server, runs } = setup({
      cache: cache({ ttl: '30s', sessionCookies: ['sid'], logger: false }),
      routes: [{ path: '/account', cache: { ttl: '10s' } }],
    })
    const alice = await request(server).get('/account').set('cookie', 'sid=alice')
    expect(alice.headers['cache-status']).toBe('brisk; fwd=bypass; detail=session-cookie')
    const anonymous = await request(server).get('/account')
    expect(anonymous.headers['cache-status']).toMatch(/fwd=uri-miss/)
    expect(runs.app).toBe(2)
  })

  it('refuses route cache options over a cache-like function that has no options to merge them over', () => {
    const built = cache({ logger: false })
    const handMade = Object.assign(
      (req: BriskRequest, next: () => Promise<BriskResponse>) => built(req, next),
      {
        ...built,
        options: undefined,
      },
    ) as unknown as ResponseCache
    expect(() =>
      front(() => {}, { cache: handMade, routes: [{ path: '/a', cache: { ttl: '1s' } }] }),
    ).toThrow(/routes\[0\]\.cache/)
  })

  it.each(['/ADMIN/users', '/Admin', '/admin/'])(
    'keeps %s out of the cache under a route /admin/** with cache: false, as the app would route it',
    async (path) => {
      const { server, runs } = setup({ routes: [{ path: '/admin/**', cache: false }] })
      await request(server).get(path)
      const second = await request(server).get(path)
      expect(second.headers['cache-status']).toBeUndefined()
      expect(runs.app).toBe(2)
    },
  )

  it("purges what routes stored through .cache when the front's own cache is off", async () => {
    const { server, runs, listener } = setup({
      cache: false,
      routes: [{ path: '/api/**', cache: { ttl: '30s' } }],
    })
    await request(server).get('/api/posts')
    expect((await request(server).get('/api/posts')).headers['cache-status']).toMatch(/hit/)
    expect((await request(server).get('/page')).headers['cache-status']).toBeUndefined()
    expect(await listener.cache?.purgeTag('api')).toBe(1)
    // The page varies on Accept-Encoding (compression is on): its marker outlives the purge.
    expect((await request(server).get('/api/posts')).headers['cache-status']).toMatch(/fwd=vary-miss; stored/)
    expect(runs.app).toBe(3)
  })

  it('skips the limiter on a route with rateLimit: false, sharing the budget elsewhere', async () => {
    const { server } = setup({
      cache: false,
      rateLimit: { limit: 1, window: '1m' },
      routes: [{ path: '/health', rateLimit: false }],
    })
    await request(server).get('/health').expect(200)
    await request(server).get('/health').expect(200)
    await request(server).get('/a').expect(200)
    await request(server).get('/b').expect(429)
  })

  it('adds a route limiter of its own to its paths, after the front limiter', async () => {
    const { server } = setup({
      cache: false,
      rateLimit: { name: 'all', limit: 3, window: '1m' },
      routes: [{ path: '/login', rateLimit: { name: 'login', limit: 1, window: '1m' } }],
    })
    const first = await request(server).get('/login').expect(200)
    expect(first.headers['ratelimit']).toMatch(/^"all";r=2;t=\d+, "login";r=0;t=\d+$/)
    expect(first.headers['ratelimit-policy']).toBe('"all";q=3;w=60, "login";q=1;w=60')
    // The route's own budget is spent; the front's still has room.
    const second = await request(server).get('/login').expect(429)
    expect(second.headers['ratelimit']).toMatch(/"login";r=0/)
    // Other paths know only the front's budget, which both logins spent from.
    await request(server).get('/a').expect(200)
    await request(server).get('/a').expect(429)
  })

  it('refuses a route rateLimit that is neither options nor false', () => {
    expect(() => front(() => {}, { routes: [{ path: '/x', rateLimit: true as never }] })).toThrow(
      /routes\[0\]\.rateLimit/,
    )
  })

  it('skips compression on a route with compress: false', async () => {
    const { server } = setup({ cache: false, routes: [{ path: '/raw/*', compress: false }] })
    const raw = await request(server).get('/raw/x').set('accept-encoding', 'gzip')
    expect(raw.headers['content-encoding']).toBeUndefined()
    const page = await request(server).get('/x').set('accept-encoding', 'gzip')
    expect(page.headers['content-encoding']).toBe('gzip')
  })

  it('keeps a per-request header for the client that ran the app and leaves it out of hits', async () => {
    const { server } = setup({ perRequestHeaders: ['x-request-id'] })
    expect((await request(server).get('/a')).headers['x-request-id']).toBe('app-1')
    const hit = await request(server).get('/a')
    expect(hit.headers['cache-status']).toMatch(/hit/)
    expect(hit.headers['x-request-id']).toBeUndefined()
  })

  it('runs onHit for a 429 answered without the app, not for a response the app made', async () => {
    const seen: string[] = []
    const { server } = setup({
      cache: false,
      rateLimit: { limit: 1, window: '1m' },
      onHit: (req, headers) => {
        seen.push(req.url)
        headers['x-front'] = 'yes'
      },
    })
    expect((await request(server).get('/a')).headers['x-front']).toBeUndefined()
    const refused = await request(server).get('/b')
    expect(refused.status).toBe(429)
    expect(refused.headers['x-front']).toBe('yes')
    expect(seen).toEqual(['/b'])
  })

  it('listen() serves on the given port', async () => {
    const server = listen((_req, res) => res.end('up'), 0, { logger: false })
    try {
      await new Promise((resolve) => server.once('listening', resolve))
      expect((await request(server).get('/')).text).toBe('up')
    } finally {
      server.close()
    }
  })

  it('refuses unknown and malformed options at creation', () => {
    expect(() => setup({ routs: [] } as never)).toThrow(/routs/)
    expect(() => setup({ routes: [{ path: '/a', cache: 'no' as never }] })).toThrow(/routes\[0\]\.cache/)
    expect(() => setup({ routes: [{ path: '/a', compress: true as never }] })).toThrow(
      /routes\[0\]\.compress/,
    )
    expect(() => setup({ routes: [{ path: '/a', later: 1 } as never] })).toThrow(/routes\[0\]\.later/)
    expect(() => setup({ onHit: 'x' as never })).toThrow(/onHit/)
    expect(() => setup({ bufferLimit: 'lots' })).toThrow(/bufferLimit/)
  })

  it.each(['Set-Cookie', 'cache-control', 'Vary', 'expires', 'content-type', 'etag'])(
    'refuses %s as a per-request header: hidden from the cache, it would let a page be stored that must not be',
    (name) => {
      expect(() => setup({ perRequestHeaders: ['x-request-id', name] })).toThrow(/perRequestHeaders/)
    },
  )
})
