/**
 * The response cache over real sockets, through every adapter: node:http (`withBrisk`),
 * Koa 2 and 3 (`toKoa`), Express 4 and 5 (`toExpress`), with the same cases for each.
 */
import { cache, memoryStore, type CacheOptions, type CacheStore } from '@brisk/cache'
import { BriskMetrics } from '@brisk/core'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, frameworks, listen, track, type Route } from './audit-apps.js'

afterEach(closeAll)

describe.each(frameworks)('cache() through %s', (_name, build) => {
  function serve(route: Route, options: CacheOptions = {}) {
    const metrics = new BriskMetrics()
    const mw = cache({ logger: false, metrics, ...options })
    let calls = 0
    const server = track(
      build(mw, (req) => {
        calls++
        return route(req)
      }),
    )
    return {
      mw,
      metrics,
      server,
      get calls() {
        return calls
      },
    }
  }

  it('answers the second GET from the cache with the same bytes', async () => {
    const t = serve(() => ({
      headers: { 'cache-control': 'max-age=60', 'content-type': 'text/html' },
      body: '<p>hi</p>',
    }))
    const first = await request(t.server).get('/page')
    const second = await request(t.server).get('/page')
    expect(first.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
    expect(second.headers['cache-status']).toMatch(/^brisk; hit; ttl=\d+$/)
    expect(second.text).toBe('<p>hi</p>')
    expect(second.headers['content-type']).toMatch(/^text\/html/)
    expect(second.headers.age).toBeDefined()
    expect(t.calls).toBe(1)
  })

  it('answers HEAD from the stored GET without a body', async () => {
    const t = serve(() => ({ headers: { 'cache-control': 'max-age=60' }, body: 'twelve bytes' }))
    await request(t.server).get('/page')
    const head = await request(t.server).head('/page')
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('12')
    expect(head.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(t.calls).toBe(1)
  })

  it('never shows one user the page of another, even when the page claims to be cacheable', async () => {
    const t = serve(
      (req) => ({
        // A careless app marks a personal page cacheable: the session cookie still keeps it private.
        headers: { 'cache-control': 'max-age=60' },
        body: `hello ${/sid=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'guest'}`,
      }),
      { sessionCookies: ['sid'] },
    )
    const alice = await request(t.server).get('/me').set('Cookie', 'sid=alice')
    const bob = await request(t.server).get('/me').set('Cookie', 'sid=bob')
    const guest = await request(t.server).get('/me')
    const alice2 = await request(t.server).get('/me').set('Cookie', 'theme=dark; sid=alice')
    expect(alice.text).toBe('hello alice')
    expect(bob.text).toBe('hello bob')
    expect(guest.text).toBe('hello guest')
    expect(alice2.text).toBe('hello alice')
    expect(bob.headers['cache-status']).toBe('brisk; fwd=bypass; detail=session-cookie')
  })

  it('never stores a response that sets a cookie', async () => {
    let n = 0
    const t = serve(() => ({
      headers: { 'cache-control': 'public, max-age=60', 'set-cookie': `visit=${++n}` },
      body: `visit ${n}`,
    }))
    await request(t.server).get('/page')
    const second = await request(t.server).get('/page')
    expect(second.text).toBe('visit 2')
    expect(second.headers['set-cookie']).toEqual(['visit=2'])
  })

  it('calls the app once for 200 concurrent misses', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    // Count lookups: once all 200 requests have looked up the key, they are either the one fetching
    // or waiting for it, so the app may answer.
    const store = memoryStore()
    let lookups = 0
    const counting: CacheStore = {
      ...store,
      name: store.name,
      get: async (key) => {
        const entry = await store.get(key)
        if (++lookups === 200) setImmediate(release)
        return entry
      },
      set: (key, entry, options) => store.set(key, entry, options),
      delete: (key) => store.delete(key),
      deleteByTag: (tag) => store.deleteByTag(tag),
      clear: () => store.clear(),
    }
    const t = serve(
      async () => {
        await gate
        return { headers: { 'cache-control': 'max-age=60' }, body: 'popular' }
      },
      { store: counting },
    )
    const base = await listen(t.server)
    const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${base}/hot`)))
    const bodies = await Promise.all(responses.map((res) => res.text()))
    expect(t.calls).toBe(1)
    expect(bodies.every((body) => body === 'popular')).toBe(true)
    expect(t.metrics.get('cache.coalesced')).toBe(199)
  })

  it('stores a response written in chunks', async () => {
    const t = serve(() => ({
      headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' },
      body: ['chunk 1, ', 'chunk 2'],
    }))
    const first = await request(t.server).get('/stream')
    expect(first.text).toBe('chunk 1, chunk 2')
    const second = await request(t.server).get('/stream')
    expect(second.text).toBe('chunk 1, chunk 2')
    expect(second.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(t.calls).toBe(1)
  })

  it('keeps the route lifetime and tags declared with cacheFor, and purges by tag', async () => {
    const t = serve((req) => ({ body: `post ${req.url}`, cacheFor: { ttl: 60_000, tags: ['post:1'] } }))
    await request(t.server).get('/posts/1')
    const hit = await request(t.server).get('/posts/1')
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit/)
    await t.mw.purgeTag('post:1')
    const after = await request(t.server).get('/posts/1')
    expect(after.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
    expect(t.calls).toBe(2)
  })

  it('hides the Cache-Tag header from clients', async () => {
    const t = serve(() => ({ headers: { 'cache-control': 'max-age=60', 'cache-tag': 'a,b' }, body: 'x' }))
    const first = await request(t.server).get('/page')
    const second = await request(t.server).get('/page')
    expect(first.headers['cache-tag']).toBeUndefined()
    expect(second.headers['cache-tag']).toBeUndefined()
  })

  it('invalidates a URL after a successful POST to it', async () => {
    let version = 1
    const t = serve((req) =>
      req.method === 'POST'
        ? { status: 201, body: `v${++version}` }
        : { headers: { 'cache-control': 'max-age=60' }, body: `v${version}` },
    )
    await request(t.server).get('/doc')
    await request(t.server).post('/doc')
    const after = await request(t.server).get('/doc')
    expect(after.text).toBe('v2')
  })
})
