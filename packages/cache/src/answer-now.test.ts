import {
  answerNowOf,
  BriskMetrics,
  NOTHING_BELOW,
  type BriskHints,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { describe, expect, it } from 'vitest'
import { cache } from './response-cache.js'
import { memoryStore } from './stores/index.js'

function request(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  hints: BriskHints = {},
): BriskRequest {
  return { method, url, headers, clientAddress: '127.0.0.1', hints }
}

/** A cache on a memory store and a still clock, with `/page` (fresh for 60 s), `/negotiated` (Vary) and `/old` (stale) stored. */
async function filled() {
  let now = Date.UTC(2026, 0, 1)
  const clock = { now: () => now }
  const metrics = new BriskMetrics()
  const mw = cache({ logger: false, metrics, clock, sessionCookies: ['sid'], store: memoryStore({ clock }) })
  const app = (req?: BriskRequest): Promise<BriskResponse> => {
    const url = req?.url ?? ''
    const headers: Record<string, string> = { 'content-type': 'text/plain', 'cache-control': 'max-age=60' }
    if (url === '/negotiated') headers.vary = 'accept-language'
    if (url === '/old') headers['cache-control'] = 'max-age=1'
    return Promise.resolve({ status: 200, headers, body: Buffer.from(`body of ${url}`) })
  }
  for (const url of ['/page', '/negotiated', '/old']) await mw(request(url), () => app(request(url)))
  now += 2_000
  const attempt = answerNowOf(mw)
  if (attempt === undefined) throw new Error('the cache has no synchronous attempt')
  return { mw, app, metrics, answerNow: (req: BriskRequest) => attempt(req, NOTHING_BELOW) }
}

describe('cache answerNow', () => {
  const answered: Array<[string, BriskRequest]> = [
    ['a fresh hit', request('/page')],
    ['HEAD from the GET entry', request('/page', {}, 'HEAD')],
    ['a conditional GET its validators answer (304)', request('/page', { 'if-none-match': '*' })],
    ['the stored variant of a response that varies', request('/negotiated')],
    ['only-if-cached on a hit', request('/page', { 'cache-control': 'only-if-cached' })],
    ['a cookie that is not a session cookie', request('/page', { cookie: 'theme=dark' })],
  ]
  it.each(answered)('answers %s exactly as the middleware does', async (_name, req) => {
    const t = await filled()
    const now = t.answerNow(req)
    expect(t.metrics.get('cache.hit')).toBe(1)
    const later = await t.mw(req, () => t.app(req))
    expect(now).toEqual(later)
    expect(now?.headers['cache-status']).toMatch(/^brisk; hit/)
  })

  const deferred: Array<[string, BriskRequest]> = [
    ['a miss', request('/absent')],
    ['a stale entry', request('/old')],
    ['a POST', request('/page', {}, 'POST')],
    ['a request with no-store', request('/page', { 'cache-control': 'no-store' })],
    ['a request with no-cache', request('/page', { 'cache-control': 'no-cache' })],
    ['a request with max-age=0', request('/page', { 'cache-control': 'max-age=0' })],
    ['a request with Authorization', request('/page', { authorization: 'Bearer x' })],
    ['a request with a session cookie', request('/page', { cookie: 'sid=1' })],
    ["brisk's own background refresh", request('/page', {}, 'GET', { refresh: true })],
  ]
  it.each(deferred)('leaves %s to the middleware, counting nothing', async (_name, req) => {
    const t = await filled()
    expect(t.answerNow(req)).toBeUndefined()
    expect(t.metrics.get('cache.hit') + t.metrics.get('cache.stale')).toBe(0)
  })

  it('runs a key function once per request, whichever path answers it', async () => {
    let keys = 0
    const mw = cache({ logger: false, key: (req) => (keys++, `k:${req.url}`) })
    const attempt = answerNowOf(mw)
    const app = async (): Promise<BriskResponse> => ({
      status: 200,
      headers: { 'cache-control': 'max-age=60' },
      body: Buffer.from('page'),
    })
    const req = request('/page')
    expect(attempt?.(req, NOTHING_BELOW)).toBeUndefined()
    await mw(req, app)
    expect(keys).toBe(1)
    expect(attempt?.(request('/page'), NOTHING_BELOW)?.status).toBe(200)
    expect(keys).toBe(2)
  })
})
