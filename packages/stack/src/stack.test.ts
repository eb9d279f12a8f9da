import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { BriskMetrics } from '@brisk/core'
import { withBrisk } from '@brisk/node'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createStack, type StackOptions } from './stack.js'

const PAGE_PARAGRAPH =
  '<p>Brisk stacks rate limiting, validators, a cache and compression in one place.</p>\n'

function server(options: StackOptions, counters: { calls: number }) {
  const stack = createStack({ logger: false, ...options })
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    counters.calls++
    // Rendered per request, as a real page would be.
    const body = `<!doctype html><title>${req.url}</title>${PAGE_PARAGRAPH.repeat(400)}`
    res.setHeader('content-type', 'text/html; charset=utf-8')
    res.setHeader('cache-control', 'public, max-age=60')
    res.setHeader('cache-tag', 'page')
    res.end(body)
  }
  return { app: createServer(withBrisk(stack, listener)), stack }
}

describe('createStack', () => {
  it('stores the compressed page once, then serves hits without the app', async () => {
    const counters = { calls: 0 }
    const { app } = server({ metrics: new BriskMetrics() }, counters)
    const first = await request(app).get('/post').set('accept-encoding', 'br')
    expect(first.status).toBe(200)
    expect(first.headers['content-encoding']).toBe('br')
    expect(first.headers['cache-status']).toMatch(/fwd=uri-miss; stored/)
    expect(first.text).toContain('<title>/post</title>')
    const second = await request(app).get('/post').set('accept-encoding', 'br')
    expect(second.headers['cache-status']).toMatch(/hit/)
    expect(second.text).toBe(first.text)
    expect(second.headers['cache-tag']).toBeUndefined()
    expect(counters.calls).toBe(1)
  })

  it('answers a reload with 304 from the stored validator', async () => {
    const counters = { calls: 0 }
    const { app } = server({ metrics: new BriskMetrics() }, counters)
    const first = await request(app).get('/').set('accept-encoding', 'gzip')
    const etag = first.headers.etag as string
    expect(etag).toBeTruthy()
    const reload = await request(app).get('/').set('accept-encoding', 'gzip').set('if-none-match', etag)
    expect(reload.status).toBe(304)
    expect(reload.text).toBe('')
    expect(counters.calls).toBe(1)
  })

  it('refuses over the limit before the cache or the app does any work', async () => {
    const counters = { calls: 0 }
    const metrics = new BriskMetrics()
    const { app } = server({ metrics, rateLimit: { limit: 2, window: '1m' } }, counters)
    await request(app).get('/a').expect(200)
    await request(app).get('/a').expect(200)
    const refused = await request(app).get('/a')
    expect(refused.status).toBe(429)
    expect(refused.headers['cache-status']).toBeUndefined()
    expect(metrics.get('cache.hit')).toBe(1)
    expect(counters.calls).toBe(1)
  })

  it('exposes the purge API of the cache it built', async () => {
    const counters = { calls: 0 }
    const { app, stack } = server({ metrics: new BriskMetrics() }, counters)
    await request(app).get('/tagged').expect(200)
    await stack.cache?.purgeTag('page')
    const after = await request(app).get('/tagged')
    expect(after.headers['cache-status']).toMatch(/fwd=(uri|vary)-miss; stored/)
    expect(counters.calls).toBe(2)
  })

  it('leaves a concern out when told to', async () => {
    const counters = { calls: 0 }
    const { app, stack } = server({ cache: false, compress: false, conditional: false }, counters)
    const res = await request(app).get('/').set('accept-encoding', 'br')
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.headers['cache-status']).toBeUndefined()
    expect(res.headers.etag).toBeUndefined()
    expect(stack.cache).toBeUndefined()
  })

  it('refuses an unknown option at creation, naming it', () => {
    expect(() => createStack({ cahce: true } as StackOptions)).toThrow(/cahce/)
  })
})
