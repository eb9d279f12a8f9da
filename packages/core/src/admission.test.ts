import { ServerResponse, IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { admissionMiddleware, setAdmissionHeaders, withEarlierHeaders, type Admission } from './admission.js'
import { answerNowOf, NOTHING_BELOW } from './answer-now.js'
import { compose } from './compose.js'
import type { BriskRequest, BriskResponse } from './exchange.js'

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()))
}

describe('setAdmissionHeaders', () => {
  it('sets the fields an admission decided on the response before the app runs', () => {
    const res = response()
    setAdmissionHeaders(res, { ratelimit: '"default";r=4;t=45', 'x-ratelimit-limit': '5' })
    expect(res.getHeader('ratelimit')).toBe('"default";r=4;t=45')
    expect(res.getHeader('x-ratelimit-limit')).toBe('5')
  })

  it('joins the RateLimit lists of a second limiter to the first one, in the order they ran', () => {
    const res = response()
    setAdmissionHeaders(res, {
      'ratelimit-policy': '"global";q=1000;w=3600',
      ratelimit: '"global";r=999;t=100',
      'x-ratelimit-limit': '1000',
    })
    setAdmissionHeaders(res, {
      'ratelimit-policy': '"login";q=5;w=900',
      ratelimit: '"login";r=4;t=900',
      'x-ratelimit-limit': '5',
    })
    // One field line per limiter: the same list as one line joined by commas (RFC 9110 §5.3).
    expect(res.getHeader('ratelimit-policy')).toEqual(['"global";q=1000;w=3600', '"login";q=5;w=900'])
    expect(res.getHeader('ratelimit')).toEqual(['"global";r=999;t=100', '"login";r=4;t=900'])
    // Not a list: the later limiter's value stands, as before.
    expect(res.getHeader('x-ratelimit-limit')).toBe('5')
  })

  it('adds its members to RateLimit lists earlier middleware started, whoever set them', () => {
    const res = response()
    res.setHeader('ratelimit', '"upstream";r=1')
    setAdmissionHeaders(res, { ratelimit: '"default";r=4;t=45' })
    expect(res.getHeader('ratelimit')).toEqual(['"upstream";r=1', '"default";r=4;t=45'])
  })

  it("keeps an earlier limiter's RateLimit members on a later limiter's refusal", () => {
    const res = response()
    setAdmissionHeaders(res, { ratelimit: '"global";r=998;t=100' })
    const refusal = withEarlierHeaders(res, {
      status: 429,
      headers: { ratelimit: '"login";r=0;t=60', 'retry-after': '60' },
      body: Buffer.from('Too Many Requests'),
    })
    expect(refusal.headers.ratelimit).toBe('"global";r=998;t=100, "login";r=0;t=60')
    expect(refusal.headers['retry-after']).toBe('60')
  })
})

describe('admissionMiddleware: synchronous attempt', () => {
  const request = (): BriskRequest => ({
    method: 'GET',
    url: '/',
    headers: {},
    clientAddress: '10.0.0.1',
    hints: {},
  })
  const hit = (): BriskResponse => ({
    status: 200,
    headers: { 'cache-status': 'hit' },
    body: Buffer.from('hit'),
  })
  const app = async (): Promise<BriskResponse> => ({ status: 200, headers: {}, body: Buffer.from('app') })
  const ADMITTED: Admission = { headers: { ratelimit: '"p";r=4;t=1' } }
  const REFUSED: Admission = { response: { status: 429, headers: {}, body: null } }

  function counted(decision: Admission, async = false) {
    let admits = 0
    const middleware = admissionMiddleware(() => {
      admits++
      return async ? Promise.resolve(decision) : decision
    })
    const attempt = answerNowOf(middleware)
    if (attempt === undefined) throw new Error('an admission middleware has a synchronous attempt')
    return { middleware, attempt, admits: () => admits }
  }

  it('adds its fields to an answer from below, deciding once', () => {
    const t = counted(ADMITTED)
    expect(t.attempt(request(), hit)?.headers).toEqual({ 'cache-status': 'hit', ratelimit: '"p";r=4;t=1' })
    expect(t.admits()).toBe(1)
  })

  it('answers its refusal without asking below', () => {
    const t = counted(REFUSED)
    let asked = 0
    expect(t.attempt(request(), () => (asked++, hit()))?.status).toBe(429)
    expect(asked).toBe(0)
  })

  it('leaves a request nothing below could answer to the middleware, which does not count it again', async () => {
    const t = counted(ADMITTED)
    const req = request()
    expect(t.attempt(req, NOTHING_BELOW)).toBeUndefined()
    const response = await t.middleware(req, app)
    expect([response.body?.toString(), response.headers.ratelimit, t.admits()]).toEqual([
      'app',
      '"p";r=4;t=1',
      1,
    ])
    // The decision is used once: the next exchange with this request object decides afresh.
    await t.middleware(req, app)
    expect(t.admits()).toBe(2)
  })

  it('lets the middleware await a decision still on its way, made once', async () => {
    const t = counted(REFUSED, true)
    const req = request()
    expect(t.attempt(req, hit)).toBeUndefined()
    expect((await t.middleware(req, app)).status).toBe(429)
    expect(t.admits()).toBe(1)
  })

  it("composed after another limiter, keeps both limiters' RateLimit members, in the order they ran", async () => {
    const limiter = (name: string) =>
      admissionMiddleware(() => ({
        headers: {
          ratelimit: `"${name}";r=1;t=60`,
          'ratelimit-policy': `"${name}";q=2;w=60`,
          'x-ratelimit-limit': name,
        },
      }))
    const both = compose(limiter('global'), limiter('login'))
    const later = await both(request(), app)
    const now = answerNowOf(both)?.(request(), hit)
    for (const response of [later, now]) {
      expect(response?.headers.ratelimit).toBe('"global";r=1;t=60, "login";r=1;t=60')
      expect(response?.headers['ratelimit-policy']).toBe('"global";q=2;w=60, "login";q=2;w=60')
      // Single-valued legacy fields: the outer limiter's word stands.
      expect(response?.headers['x-ratelimit-limit']).toBe('global')
    }
  })
})
