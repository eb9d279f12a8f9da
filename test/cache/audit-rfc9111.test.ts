/**
 * Audit of the response cache against issue #3, black-box: HTTP requests against Koa, Express
 * and node:http apps that use `cache()` from `@brisk/cache` as its README shows, on a memory
 * store, with the cache's `clock` option for time. Each case is one RFC 9111 rule a shared cache
 * in front of the app must keep.
 */
import { cache, memoryStore, type CacheOptions } from '@brisk/cache'
import { BriskMetrics } from '@brisk/core'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, frameworks, listen, manualClock, track, type Reply, type Route } from './audit-apps.js'

afterEach(closeAll)

describe.each(frameworks)('RFC 9111 through %s', (_name, build) => {
  function serve(route: Route, options: CacheOptions = {}) {
    const clock = manualClock()
    const metrics = new BriskMetrics()
    const mw = cache({ store: memoryStore(), logger: false, metrics, clock, ...options })
    const seen: Array<{ method: string; url: string; headers: Record<string, unknown> }> = []
    const server = track(
      build(mw, (req) => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } })
        return route(req)
      }),
    )
    return { mw, clock, metrics, server, seen, agent: () => request(server) }
  }

  const cacheable = (body: string, cc = 'max-age=60', headers: Record<string, string> = {}): Reply => ({
    headers: { 'cache-control': cc, 'content-type': 'text/plain; charset=utf-8', ...headers },
    body,
  })

  describe('HEAD', () => {
    it('answers HEAD from the GET entry with the same headers and the GET Content-Length', async () => {
      const t = serve(() =>
        cacheable('twelve bytes', 'max-age=60', { 'x-custom': 'yes', 'content-language': 'en' }),
      )
      const get = await t.agent().get('/h')
      const head = await t.agent().head('/h')
      expect(head.status).toBe(200)
      expect(head.text ?? '').toBe('')
      expect(head.headers['content-length']).toBe('12')
      for (const field of ['content-type', 'x-custom', 'content-language', 'cache-control', 'etag'])
        expect(head.headers[field], field).toBe(get.headers[field])
      expect(head.headers['cache-status']).toMatch(/^brisk; hit; ttl=\d+$/)
      expect(head.headers.age).toBe('0')
      expect(t.seen).toHaveLength(1)
    })

    it('sends a HEAD miss to the app and stores nothing from it', async () => {
      const t = serve(() => cacheable('body'))
      const head = await t.agent().head('/h')
      expect(head.headers['cache-status']).toBe('brisk; fwd=uri-miss')
      const get = await t.agent().get('/h')
      expect(get.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      expect(t.seen.map((s) => s.method)).toEqual(['HEAD', 'GET'])
    })
  })

  describe('freshness from the response', () => {
    it('stores nothing without explicit freshness and no ttl option', async () => {
      const t = serve(() => ({ body: 'plain' }))
      await t.agent().get('/f')
      const second = await t.agent().get('/f')
      expect(second.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=no-freshness')
      expect(t.seen).toHaveLength(2)
    })

    it('applies the ttl option where the app says nothing, and not over its max-age', async () => {
      const t = serve((req) => (req.url === '/said' ? cacheable('said', 'max-age=5') : { body: 'silent' }), {
        ttl: '30s',
      })
      await t.agent().get('/said')
      await t.agent().get('/silent')
      t.clock.advance(10_000)
      expect((await t.agent().get('/silent')).headers['cache-status']).toMatch(/^brisk; hit; ttl=20$/)
      expect((await t.agent().get('/said')).headers['cache-status']).toMatch(/^brisk; fwd=stale/)
    })

    it('does not store max-age=0', async () => {
      const t = serve(() => cacheable('zero', 'max-age=0', { etag: '"z"' }))
      await t.agent().get('/z')
      await t.agent().get('/z')
      expect(t.seen).toHaveLength(2)
    })

    it('does not store an Expires in the past, even under a ttl option', async () => {
      const t = serve(
        () => ({
          headers: { expires: new Date(Date.now() - 60_000).toUTCString(), 'content-type': 'text/plain' },
          body: 'expired',
        }),
        { ttl: '1m' },
      )
      await t.agent().get('/e')
      const second = await t.agent().get('/e')
      expect(second.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=no-freshness')
      expect(t.seen).toHaveLength(2)
    })

    it('keeps an Expires in the future for as long as it says, on the cache clock', async () => {
      // A clock far from the wall clock: Expires must be read against the cache's own time.
      const start = Date.parse('2031-03-01T10:00:00Z')
      const clock = manualClock(start)
      const t = serve(
        () => ({ headers: { expires: new Date(start + 60_000).toUTCString() }, body: 'until expires' }),
        { clock },
      )
      await t.agent().get('/e')
      clock.advance(30_000)
      expect((await t.agent().get('/e')).headers['cache-status']).toBe('brisk; hit; ttl=30')
      clock.advance(31_000)
      expect((await t.agent().get('/e')).headers['cache-status']).toMatch(/^brisk; fwd=stale/)
      expect(t.seen).toHaveLength(2)
    })

    it('prefers s-maxage over max-age, as a shared cache', async () => {
      const t = serve((req) =>
        req.url === '/long'
          ? cacheable('long', 'max-age=1, s-maxage=60')
          : cacheable('short', 'max-age=60, s-maxage=0'),
      )
      await t.agent().get('/long')
      await t.agent().get('/short')
      t.clock.advance(30_000)
      expect((await t.agent().get('/long')).headers['cache-status']).toBe('brisk; hit; ttl=30')
      expect((await t.agent().get('/short')).headers['cache-status']).toBe(
        'brisk; fwd=uri-miss; detail=no-freshness',
      )
    })

    it('counts the Age the response arrived with, and adds the time it spent stored', async () => {
      const t = serve(() => cacheable('aged', 'max-age=60', { age: '10' }))
      const first = await t.agent().get('/a')
      expect(first.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      t.clock.advance(5_000)
      const hit = await t.agent().get('/a')
      expect(hit.headers.age).toBe('15')
      expect(hit.headers['cache-status']).toBe('brisk; hit; ttl=45')
      t.clock.advance(46_000)
      const stale = await t.agent().get('/a')
      expect(stale.headers['cache-status']).toMatch(/^brisk; fwd=stale/)
      expect(t.seen).toHaveLength(2)
    })

    it('does not store a response whose Age already exceeds its lifetime', async () => {
      const t = serve(() => cacheable('old', 'max-age=60', { age: '61' }))
      await t.agent().get('/old')
      await t.agent().get('/old')
      expect(t.seen).toHaveLength(2)
    })
  })

  describe('request directives', () => {
    it('forwards a no-cache request and stores the answer', async () => {
      let version = 0
      const t = serve(() => cacheable(`v${++version}`))
      await t.agent().get('/n')
      const forced = await t.agent().get('/n').set('Cache-Control', 'no-cache')
      expect(forced.text).toBe('v2')
      expect(forced.headers['cache-status']).toBe('brisk; fwd=request; stored')
      const after = await t.agent().get('/n')
      expect(after.text).toBe('v2')
      expect(after.headers['cache-status']).toMatch(/^brisk; hit/)
    })

    it('forwards Pragma: no-cache without Cache-Control', async () => {
      let version = 0
      const t = serve(() => cacheable(`v${++version}`))
      await t.agent().get('/p')
      expect((await t.agent().get('/p').set('Pragma', 'no-cache')).text).toBe('v2')
    })

    it('bypasses for a no-store request', async () => {
      const t = serve(() => cacheable('x'))
      await t.agent().get('/s')
      const res = await t.agent().get('/s').set('Cache-Control', 'no-store')
      expect(res.headers['cache-status']).toBe('brisk; fwd=bypass; detail=no-store')
      expect(t.seen).toHaveLength(2)
    })

    it('answers only-if-cached with 504 on a miss', async () => {
      const t = serve(() => cacheable('x'))
      const res = await t.agent().get('/o').set('Cache-Control', 'only-if-cached')
      expect(res.status).toBe(504)
      expect(t.seen).toHaveLength(0)
    })
  })

  describe('Vary', () => {
    it('keeps one variant per Accept-Language and never mixes them', async () => {
      const t = serve((req) =>
        cacheable(`lang ${String(req.headers['accept-language'] ?? 'none')}`, 'max-age=60', {
          vary: 'Accept-Language',
        }),
      )
      const en = await t.agent().get('/v').set('Accept-Language', 'en')
      const fr = await t.agent().get('/v').set('Accept-Language', 'fr')
      const en2 = await t.agent().get('/v').set('Accept-Language', 'en')
      const fr2 = await t.agent().get('/v').set('Accept-Language', 'fr')
      const none = await t.agent().get('/v')
      expect([en.text, fr.text, en2.text, fr2.text, none.text]).toEqual([
        'lang en',
        'lang fr',
        'lang en',
        'lang fr',
        'lang none',
      ])
      expect(fr.headers['cache-status']).toBe('brisk; fwd=vary-miss; stored')
      expect(en2.headers['cache-status']).toMatch(/^brisk; hit/)
      expect(en2.headers.vary).toBe('Accept-Language')
      expect(t.seen).toHaveLength(3)
    })

    it('never stores Vary: *', async () => {
      const t = serve(() => cacheable('star', 'max-age=60', { vary: '*' }))
      await t.agent().get('/star')
      const second = await t.agent().get('/star')
      expect(second.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=vary')
      expect(t.seen).toHaveLength(2)
    })
  })

  describe('revalidation', () => {
    it('asks the app conditionally once stale, and on 304 refreshes the stored headers and serves the stored body', async () => {
      const t = serve((req) =>
        req.headers['if-none-match'] === '"v1"'
          ? { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=20', 'x-version': '2' } }
          : cacheable('the stored body', 'max-age=10', { etag: '"v1"', 'x-version': '1' }),
      )
      await t.agent().get('/r')
      t.clock.advance(11_000)
      const revalidated = await t.agent().get('/r')
      expect(revalidated.status).toBe(200)
      expect(revalidated.text).toBe('the stored body')
      expect(revalidated.headers['x-version']).toBe('2')
      expect(revalidated.headers['cache-control']).toBe('max-age=20')
      expect(revalidated.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(revalidated.headers['cache-status']).toBe('brisk; fwd=stale; fwd-status=304; stored')
      expect(t.seen[1]?.headers['if-none-match']).toBe('"v1"')
      t.clock.advance(15_000)
      const hit = await t.agent().get('/r')
      expect(hit.headers['cache-status']).toBe('brisk; hit; ttl=5')
      expect(hit.headers['x-version']).toBe('2')
      expect(t.seen).toHaveLength(2)
    })

    it('answers a conditional hit with 304 from the stored ETag', async () => {
      const t = serve(() => cacheable('body', 'max-age=60', { etag: '"e1"' }))
      await t.agent().get('/c')
      const res = await t.agent().get('/c').set('If-None-Match', '"e1"')
      expect(res.status).toBe(304)
      expect(res.headers.etag).toBe('"e1"')
      expect(res.headers['cache-status']).toMatch(/^brisk; hit/)
    })

    it('never serves a must-revalidate response stale, not on error and not for max-stale', async () => {
      let fail = false
      const t = serve(
        () => (fail ? { status: 503, body: 'down' } : cacheable('fresh', 'max-age=10, must-revalidate')),
        { staleIfError: '1h', staleWhileRevalidate: '1h' },
      )
      await t.agent().get('/m')
      t.clock.advance(11_000)
      fail = true
      expect((await t.agent().get('/m').set('Cache-Control', 'max-stale=3600')).status).toBe(503)
      expect((await t.agent().get('/m')).status).toBe(503)
    })

    it('serves stale when the app fails within stale-if-error', async () => {
      let fail = false
      const t = serve(() => (fail ? { throws: true } : cacheable('kept', 'max-age=10, stale-if-error=60')))
      await t.agent().get('/sie')
      t.clock.advance(20_000)
      fail = true
      const res = await t.agent().get('/sie')
      expect(res.status).toBe(200)
      expect(res.text).toBe('kept')
      expect(res.headers['cache-status']).toMatch(/^brisk; hit;.* ttl=-10; detail=stale-if-error/)
    })
  })

  describe('unsafe methods', () => {
    it('invalidates the URL and its same-origin Location after a successful POST', async () => {
      let version = 1
      const t = serve((req) => {
        if (req.method === 'POST') {
          version++
          return { status: 201, headers: { location: '/items/7' }, body: 'created' }
        }
        return cacheable(`${req.url} v${version}`)
      })
      await t.agent().get('/items')
      await t.agent().get('/items/7')
      await t.agent().get('/other')
      const post = await t.agent().post('/items')
      expect(post.status).toBe(201)
      expect((await t.agent().get('/items')).text).toBe('/items v2')
      expect((await t.agent().get('/items/7')).text).toBe('/items/7 v2')
      expect((await t.agent().get('/other')).text).toBe('/other v1')
    })

    it('keeps the entry when the unsafe request failed', async () => {
      const t = serve((req) => (req.method === 'DELETE' ? { status: 500, body: 'no' } : cacheable('kept')))
      await t.agent().get('/d')
      await t.agent().delete('/d')
      expect((await t.agent().get('/d')).headers['cache-status']).toMatch(/^brisk; hit/)
    })

    it('invalidates with PUT, PATCH and DELETE too, and never stores their answers', async () => {
      for (const method of ['put', 'patch', 'delete'] as const) {
        let version = 0
        const t = serve((req) => (req.method === 'GET' ? cacheable(`v${++version}`) : cacheable('changed')))
        await t.agent().get('/u')
        await t.agent()[method]('/u')
        expect((await t.agent().get('/u')).text).toBe('v2')
      }
    })

    it('passes an unknown method through untouched', async () => {
      const t = serve(() => cacheable('report', 'max-age=60', { 'cache-tag': 't' }))
      await t.agent().get('/x')
      const res = await t.agent().options('/x')
      expect(res.headers['cache-status']).toBeUndefined()
      expect((await t.agent().get('/x')).headers['cache-status']).toMatch(/^brisk; hit/)
    })

    it('keeps the method in the key: a POST is never answered from a GET entry', async () => {
      const t = serve((req) => cacheable(`${req.method ?? ''} answer`))
      await t.agent().get('/k')
      expect((await t.agent().post('/k')).text).toBe('POST answer')
    })
  })

  describe('keys', () => {
    it('sorts query parameters and drops denied ones', async () => {
      const t = serve((req) => cacheable(`q ${req.url ?? ''}`), { query: { deny: ['utm_source', 'fbclid'] } })
      await t.agent().get('/q?b=2&a=1&utm_source=mail')
      const sorted = await t.agent().get('/q?a=1&b=2')
      const junk = await t.agent().get('/q?fbclid=x&a=1&b=2&utm_source=ads')
      expect(sorted.headers['cache-status']).toMatch(/^brisk; hit/)
      expect(junk.headers['cache-status']).toMatch(/^brisk; hit/)
      const other = await t.agent().get('/q?a=1&b=3')
      expect(other.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      expect(t.seen).toHaveLength(2)
    })

    it('keeps only allowed query parameters', async () => {
      const t = serve((req) => cacheable(`q ${req.url ?? ''}`), { query: { allow: ['page'] } })
      await t.agent().get('/list?page=2&ref=x')
      expect((await t.agent().get('/list?ref=y&page=2')).headers['cache-status']).toMatch(/^brisk; hit/)
      expect((await t.agent().get('/list?page=3')).headers['cache-status']).toMatch(/^brisk; fwd=uri-miss/)
    })

    it('uses the key function, and bypasses when it returns undefined', async () => {
      const t = serve((req) => cacheable(`host ${String(req.headers['x-tenant'])}`), {
        key: (req) =>
          req.headers['x-tenant'] === undefined ? undefined : `${String(req.headers['x-tenant'])} ${req.url}`,
      })
      expect((await t.agent().get('/t').set('X-Tenant', 'a')).text).toBe('host a')
      expect((await t.agent().get('/t').set('X-Tenant', 'b')).text).toBe('host b')
      expect((await t.agent().get('/t').set('X-Tenant', 'a')).headers['cache-status']).toMatch(/^brisk; hit/)
      expect((await t.agent().get('/t')).headers['cache-status']).toBe('brisk; fwd=bypass; detail=key')
    })
  })

  describe('tags and purges', () => {
    it('strips the tags headers from every response and purges by tag', async () => {
      const t = serve((req) =>
        req.method === 'GET'
          ? cacheable('tagged', 'max-age=60', { 'cache-tag': 'post:1, list', 'surrogate-key': 'sk1 sk2' })
          : { status: 200, headers: { 'cache-tag': 'post:1' }, body: 'saved' },
      )
      const miss = await t.agent().get('/t')
      const hit = await t.agent().get('/t')
      const bypass = await t.agent().get('/t').set('Cache-Control', 'no-store')
      const post = await t.agent().post('/t2')
      for (const res of [miss, hit, bypass, post]) {
        expect(res.headers['cache-tag']).toBeUndefined()
        expect(res.headers['surrogate-key']).toBeUndefined()
      }
      expect(await t.mw.purgeTag('sk2')).toBe(1)
      expect((await t.agent().get('/t')).headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
    })

    it('purges by URL (normalized like the key), by key and everything', async () => {
      const t = serve((req) => cacheable(`p ${req.url ?? ''}`))
      await t.agent().get('/p?b=1&a=2')
      await t.agent().get('/k')
      await t.agent().get('/all')
      await t.mw.purgeUrl('/p?a=2&b=1')
      await t.mw.purgeKey('GET /k')
      expect((await t.agent().get('/p?b=1&a=2')).headers['cache-status']).toMatch(/^brisk; fwd=uri-miss/)
      expect((await t.agent().get('/k')).headers['cache-status']).toMatch(/^brisk; fwd=uri-miss/)
      expect((await t.agent().get('/all')).headers['cache-status']).toMatch(/^brisk; hit/)
      await t.mw.purgeAll()
      expect((await t.agent().get('/all')).headers['cache-status']).toMatch(/^brisk; fwd=uri-miss/)
    })
  })

  describe('privacy', () => {
    it('never gives one user the page of another, whatever the page claims', async () => {
      const t = serve(
        (req) => cacheable(`page of ${/sid=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'nobody'}`),
        { sessionCookies: ['sid'] },
      )
      const alice = await t.agent().get('/me').set('Cookie', 'sid=alice')
      const bob = await t.agent().get('/me').set('Cookie', 'sid=bob')
      const anonymous = await t.agent().get('/me')
      const alice2 = await t.agent().get('/me').set('Cookie', 'sid=alice')
      expect([alice.text, bob.text, anonymous.text, alice2.text]).toEqual([
        'page of alice',
        'page of bob',
        'page of nobody',
        'page of alice',
      ])
    })

    it('does not answer Authorization from the cache unless the page is public and the option is on', async () => {
      const auth = (req: { headers: Record<string, unknown> }) => String(req.headers.authorization ?? 'anon')
      const off = serve((req) => cacheable(`for ${auth(req)}`, 'public, max-age=60'))
      await off.agent().get('/a')
      const bearer = await off.agent().get('/a').set('Authorization', 'Bearer x')
      expect(bearer.text).toBe('for Bearer x')
      expect(bearer.headers['cache-status']).toBe('brisk; fwd=bypass; detail=authorization')

      const on = serve(
        (req) => cacheable(`for ${auth(req)}`, req.url === '/pub' ? 'public, max-age=60' : 'max-age=60'),
        {
          shareAuthenticated: true,
        },
      )
      await on.agent().get('/pub')
      expect((await on.agent().get('/pub').set('Authorization', 'Bearer x')).text).toBe('for anon')
      await on.agent().get('/plain')
      expect((await on.agent().get('/plain').set('Authorization', 'Bearer y')).text).toBe('for Bearer y')
    })

    it('never stores a response with Set-Cookie, even public', async () => {
      let n = 0
      const t = serve(() => cacheable(`n${++n}`, 'public, max-age=60', { 'set-cookie': `n=${n}` }))
      await t.agent().get('/sc')
      const second = await t.agent().get('/sc')
      expect(second.text).toBe('n2')
      expect(second.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=set-cookie')
    })

    it.each([
      ['private', 'private, max-age=60'],
      ['no-store', 'no-store, max-age=60'],
      ['no-cache', 'no-cache, max-age=60'],
    ])('never stores Cache-Control: %s', async (detail, cc) => {
      const t = serve(() => cacheable('x', cc))
      await t.agent().get('/cc')
      expect((await t.agent().get('/cc')).headers['cache-status']).toBe(
        `brisk; fwd=uri-miss; detail=${detail}`,
      )
    })
  })

  describe('bodies', () => {
    it('passes a body over maxBodySize through uncached', async () => {
      const t = serve(() => cacheable('x'.repeat(2048)), { maxBodySize: '1 KB' })
      const first = await t.agent().get('/big')
      expect(first.text).toHaveLength(2048)
      const second = await t.agent().get('/big')
      expect(second.text).toHaveLength(2048)
      expect(t.seen).toHaveLength(2)
    })

    it('passes a streamed body over maxBodySize through whole and uncached', async () => {
      const chunks = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}${'y'.repeat(98)}`)
      const t = serve(
        () => ({ headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, body: chunks }),
        {
          maxBodySize: '1 KB',
        },
      )
      const first = await t.agent().get('/bigstream')
      expect(first.text).toBe(chunks.join(''))
      await t.agent().get('/bigstream')
      expect(t.seen).toHaveLength(2)
    })

    it('streams an endless body to the client at once and stores nothing', async () => {
      const t = serve(() => ({
        headers: { 'cache-control': 'max-age=60', 'content-type': 'text/event-stream' },
        body: 'endless',
      }))
      const base = await listen(t.server)
      for (let i = 0; i < 2; i++) {
        const controller = new AbortController()
        const res = await fetch(`${base}/sse`, { signal: controller.signal })
        expect(res.status).toBe(200)
        const reader = (res.body as ReadableStream<Uint8Array>).getReader()
        let received = 0
        while (received < 200_000) received += (await reader.read()).value?.length ?? 0
        controller.abort()
        await reader.cancel().catch(() => {})
      }
      expect(t.seen).toHaveLength(2)
    })
  })

  it('never stores a server-sent event stream, even one that ended and said max-age', async () => {
    let serial = 0
    const t = serve(() => ({
      headers: { 'cache-control': 'public, max-age=60', 'content-type': 'text/event-stream' },
      body: [`data: event ${++serial}\n\n`, 'data: bye\n\n'],
    }))
    const first = await t.agent().get('/events')
    const second = await t.agent().get('/events')
    expect(first.text).toBe('data: event 1\n\ndata: bye\n\n')
    expect(second.text).toBe('data: event 2\n\ndata: bye\n\n')
    expect(second.headers['cache-status']).toMatch(/detail=event-stream/)
    expect(t.seen).toHaveLength(2)
  })

  it('reports hits, misses, stale answers and bypasses in its counters', async () => {
    const t = serve(() => cacheable('m', 'max-age=10, stale-while-revalidate=60'))
    await t.agent().get('/m')
    await t.agent().get('/m')
    await t.agent().get('/m').set('Cache-Control', 'no-store')
    t.clock.advance(11_000)
    await t.agent().get('/m')
    expect(t.metrics.get('cache.miss')).toBeGreaterThanOrEqual(1)
    expect(t.metrics.get('cache.hit')).toBe(1)
    expect(t.metrics.get('cache.bypass')).toBe(1)
    expect(t.metrics.get('cache.stale')).toBe(1)
  })
})
