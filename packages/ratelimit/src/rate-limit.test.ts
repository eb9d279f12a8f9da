import { BriskMetrics, BriskOptionError, type BriskRequest, type BriskResponse } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import type { Decision } from './evaluate.js'
import { memoryStore } from './memory-store.js'
import type { RateLimitOptions } from './options.js'
import { rateLimit } from './rate-limit.js'
import type { RateLimitStore } from './store.js'
import { parseStringList } from './structured-list.test-support.js'

const T0 = 1_700_000_000_000

function request(clientAddress = '203.0.113.7', headers: Record<string, string> = {}): BriskRequest {
  return { method: 'GET', url: '/', headers, clientAddress, hints: {} }
}

function app(): { calls: number; next: () => Promise<BriskResponse> } {
  const state = {
    calls: 0,
    next: async (): Promise<BriskResponse> => {
      state.calls += 1
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('ok') }
    },
  }
  return state
}

async function statuses(limiter: ReturnType<typeof rateLimit>, requests: BriskRequest[]): Promise<number[]> {
  const out: number[] = []
  for (const req of requests) out.push((await limiter(req, app().next)).status)
  return out
}

const fixedClock = () => memoryStore({ now: () => T0 })

describe('rateLimit', () => {
  it('lets the limit through, then answers 429 without calling the app', async () => {
    const limiter = rateLimit({ limit: 2, window: '1m', store: fixedClock() })
    const downstream = app()
    const results: number[] = []
    for (let i = 0; i < 4; i++) results.push((await limiter(request(), downstream.next)).status)
    expect(results).toEqual([200, 200, 429, 429])
    expect(downstream.calls).toBe(2)
  })

  it('sends RateLimit-Policy and RateLimit on allowed responses', async () => {
    const limiter = rateLimit({ limit: 5, window: '1m', algorithm: 'fixed-window', store: fixedClock() })
    const response = await limiter(request(), app().next)
    expect(parseStringList(response.headers['ratelimit-policy'] as string)).toEqual([
      { value: 'default', params: { q: 5, w: 60 } },
    ])
    // T0 is 20 s into its minute: 40 s left.
    expect(parseStringList(response.headers.ratelimit as string)).toEqual([
      { value: 'default', params: { r: 4, t: 40 } },
    ])
  })

  it('answers 429 with Retry-After, the RateLimit fields, no-store and a text body', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', algorithm: 'fixed-window', store: fixedClock() })
    await limiter(request(), app().next)
    const refused = await limiter(request(), app().next)
    expect(refused.status).toBe(429)
    expect(refused.headers['retry-after']).toBe('40')
    expect(refused.headers['cache-control']).toBe('no-store')
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(refused.body?.toString()).toBe('Too Many Requests')
    expect(refused.headers['content-length']).toBe('17')
    expect(parseStringList(refused.headers.ratelimit as string)).toEqual([
      { value: 'default', params: { r: 0, t: 40 } },
    ])
  })

  it('answers JSON clients with a quota-exceeded problem naming the violated policies', async () => {
    const limiter = rateLimit({
      policies: [
        { limit: 1, window: '1s', name: 'burst' },
        { limit: 100, window: '1h', name: 'hourly' },
      ],
      message: 'Slow down',
      store: fixedClock(),
    })
    const json = request('203.0.113.7', { accept: 'application/json' })
    await limiter(json, app().next)
    const refused = await limiter(json, app().next)
    expect(refused.headers['content-type']).toBe('application/problem+json')
    expect(JSON.parse(refused.body!.toString())).toEqual({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      title: 'Slow down',
      status: 429,
      'violated-policies': ['burst'],
    })
  })

  it.each(['Application/JSON', 'APPLICATION/PROBLEM+JSON', 'application/*, text/plain;q=0.1'])(
    'answers a client whose Accept is %s in JSON: media types ignore case, and a wildcard counts',
    async (accept) => {
      const limiter = rateLimit({ limit: 1, window: '1m' })
      await limiter(request('203.0.113.9'), app().next)
      const refused = await limiter(request('203.0.113.9', { accept }), app().next)
      expect(refused.headers['content-type']).toBe('application/problem+json')
    },
  )

  it('answers text to a client that prefers text over JSON', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock() })
    const req = request('203.0.113.7', { accept: 'text/plain, application/json;q=0.5' })
    await limiter(req, app().next)
    expect((await limiter(req, app().next)).headers['content-type']).toBe('text/plain; charset=utf-8')
  })

  it('adds the legacy X-RateLimit fields only when asked', async () => {
    const plain = await rateLimit({ limit: 3, window: '1m', store: fixedClock() })(request(), app().next)
    expect(plain.headers['x-ratelimit-limit']).toBeUndefined()
    const legacy = await rateLimit({
      limit: 3,
      window: '1m',
      algorithm: 'fixed-window',
      legacyHeaders: true,
      now: () => T0,
      store: fixedClock(),
    })(request(), app().next)
    expect(legacy.headers).toMatchObject({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-reset': String((T0 + 40_000) / 1000),
    })
  })

  it('sends no RateLimit fields with headers: false', async () => {
    const response = await rateLimit({ limit: 3, window: '1m', headers: false, store: fixedClock() })(
      request(),
      app().next,
    )
    expect(response.headers.ratelimit).toBeUndefined()
    expect(response.headers['ratelimit-policy']).toBeUndefined()
  })

  it('counts each client address separately', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock() })
    expect(
      await statuses(limiter, [request('198.51.100.1'), request('198.51.100.2'), request('198.51.100.1')]),
    ).toEqual([200, 200, 429])
  })

  it('groups IPv6 clients rotating addresses inside one /56', async () => {
    const limiter = rateLimit({ limit: 2, window: '1m', store: fixedClock() })
    expect(
      await statuses(limiter, [
        request('2001:db8:aa:bb00::1'),
        request('2001:db8:aa:bb12:3456::9'),
        request('2001:db8:aa:bbff:ffff::ffff'),
        request('2001:db8:aa:cc00::1'),
      ]),
    ).toEqual([200, 200, 429, 200])
  })

  it('groups by a configured IPv6 prefix', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', ipv6Subnet: 64, store: fixedClock() })
    expect(await statuses(limiter, [request('2001:db8:aa:bb00::1'), request('2001:db8:aa:bb01::1')])).toEqual(
      [200, 200],
    )
  })

  it('counts an IPv4-mapped IPv6 client as its IPv4 address', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock() })
    expect(await statuses(limiter, [request('192.0.2.9'), request('::ffff:192.0.2.9')])).toEqual([200, 429])
  })

  it('counts by the key function, e.g. an API key, whatever the address', async () => {
    const limiter = rateLimit({
      limit: 1,
      window: '1m',
      store: fixedClock(),
      key: (req) => String(req.headers['x-api-key']),
    })
    expect(
      await statuses(limiter, [
        request('192.0.2.1', { 'x-api-key': 'alice' }),
        request('192.0.2.2', { 'x-api-key': 'alice' }),
        request('192.0.2.1', { 'x-api-key': 'bob' }),
      ]),
    ).toEqual([200, 429, 200])
  })

  it('awaits an asynchronous key function', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock(), key: async () => 'user-1' })
    expect(await statuses(limiter, [request('192.0.2.1'), request('192.0.2.2')])).toEqual([200, 429])
  })

  it('falls back to the address when the key function returns something that is not a string', async () => {
    const limiter = rateLimit({
      limit: 1,
      window: '1m',
      store: fixedClock(),
      key: () => undefined as unknown as string,
    })
    expect(
      await statuses(limiter, [request('192.0.2.1'), request('192.0.2.2'), request('192.0.2.1')]),
    ).toEqual([200, 200, 429])
  })

  it('hands the store a short digest instead of a huge key, still one counter per key', async () => {
    const inner = memoryStore({ now: () => T0 })
    const seen: string[] = []
    const recording: RateLimitStore = {
      name: 'recording',
      consume: (key, policies, cost) => {
        seen.push(key)
        return inner.consume(key, policies, cost)
      },
      reset: (key, policies) => inner.reset(key, policies),
    }
    const huge = 'k'.repeat(1_000_000)
    const limiter = rateLimit({
      limit: 1,
      window: '1m',
      store: recording,
      key: (req) => huge + String(req.headers['x-user']),
    })
    const alice = request('192.0.2.1', { 'x-user': 'alice' })
    const bob = request('192.0.2.1', { 'x-user': 'bob' })
    expect(await statuses(limiter, [alice, bob, alice])).toEqual([200, 200, 429])
    expect(Math.max(...seen.map((key) => key.length))).toBeLessThanOrEqual(128)
  })

  it('lets skipped requests through uncounted', async () => {
    const metrics = new BriskMetrics()
    const limiter = rateLimit({
      limit: 1,
      window: '1m',
      store: fixedClock(),
      metrics,
      skip: (req) => req.url === '/health',
    })
    const health = { ...request(), url: '/health' }
    expect(await statuses(limiter, [health, health, request(), health])).toEqual([200, 200, 200, 200])
    expect(metrics.get('ratelimit.allowed')).toBe(1)
  })

  it('lets allow-listed addresses through uncounted and without RateLimit fields', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock(), allowList: ['10.0.0.0/8'] })
    const inside = request('10.9.8.7')
    expect(await statuses(limiter, [inside, inside, inside])).toEqual([200, 200, 200])
    expect((await limiter(inside, app().next)).headers.ratelimit).toBeUndefined()
    expect(await statuses(limiter, [request('11.0.0.1'), request('11.0.0.1')])).toEqual([200, 429])
  })

  it('charges the cost the cost function gives', async () => {
    const limiter = rateLimit({
      limit: 10,
      window: '1m',
      store: fixedClock(),
      cost: (req) => (req.method === 'POST' ? 5 : 1),
    })
    const post = { ...request(), method: 'POST' }
    expect(await statuses(limiter, [post, post, request()])).toEqual([200, 200, 429])
  })

  it('sends no Retry-After for a request costing more than a refusing policy can ever hold', async () => {
    const limiter = rateLimit({
      policies: [
        { limit: 10, window: '1m', name: 'minute' },
        { limit: 5, window: '1s', algorithm: 'token-bucket', burst: 8, name: 'burst' },
      ],
      store: fixedClock(),
      cost: (req) => Number(req.headers['x-cost']),
    })
    const costing = (units: number): BriskRequest => request('203.0.113.7', { 'x-cost': String(units) })
    // Nine units fit no window of the burst policy (capacity 8): refused at once, nothing to wait for.
    const never = await limiter(costing(9), app().next)
    expect(never.status).toBe(429)
    expect(never.headers['retry-after']).toBeUndefined()
    expect(never.headers.ratelimit).toBeDefined()
    // Eight units fit when the bucket is full; the next eight must wait for it to refill.
    expect((await limiter(costing(8), app().next)).status).toBe(200)
    const later = await limiter(costing(8), app().next)
    expect(later.status).toBe(429)
    expect(Number(later.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('charges 1 when the cost function returns something unusable', async () => {
    const limiter = rateLimit({ limit: 2, window: '1m', store: fixedClock(), cost: () => Number.NaN })
    expect(await statuses(limiter, [request(), request(), request()])).toEqual([200, 200, 429])
  })

  it('does not consume the long policy for requests the burst policy refuses', async () => {
    let now = T0
    const limiter = rateLimit({
      policies: [
        { limit: 2, window: '1s', algorithm: 'fixed-window', name: 'burst' },
        { limit: 5, window: '1h', algorithm: 'fixed-window', name: 'hourly' },
      ],
      store: memoryStore({ now: () => now }),
    })
    // Three seconds of 4 requests each: 2 pass per second, 6 refusals must not eat the hour.
    const seen: number[] = []
    for (let second = 0; second < 3; second++) {
      now = T0 + second * 1000
      seen.push(...(await statuses(limiter, [request(), request(), request(), request()])))
    }
    expect(seen).toEqual([200, 200, 429, 429, 200, 200, 429, 429, 200, 429, 429, 429])
    const last = await limiter(request(), app().next)
    expect(parseStringList(last.headers.ratelimit as string)).toEqual([
      // The burst still has 1 of 2 this second; the hour (which T0 + 2 s is 802 s into) is spent.
      { value: 'burst', params: { r: 1, t: 1 } },
      { value: 'hourly', params: { r: 0, t: 2798 } },
    ])
  })

  it('runs its own memory store and insurance limiter on the now option, so windows move with it', async () => {
    let now = T0
    const limiter = rateLimit({ limit: 1, window: '1m', algorithm: 'fixed-window', now: () => now })
    expect(await statuses(limiter, [request(), request()])).toEqual([200, 429])
    now += 60_000
    expect(await statuses(limiter, [request(), request()])).toEqual([200, 429])

    const down: RateLimitStore = {
      name: 'down',
      consume: () => Promise.reject(new Error('down')),
      reset: () => Promise.resolve(),
    }
    const insured = rateLimit({
      limit: 1,
      window: '1m',
      algorithm: 'fixed-window',
      store: down,
      now: () => now,
    })
    expect(await statuses(insured, [request(), request()])).toEqual([200, 429])
    now += 60_000
    expect(await statuses(insured, [request()])).toEqual([200])
  })

  it('forgets a client on reset, by address (its IPv6 group) or by key', async () => {
    const byAddress = rateLimit({ limit: 1, window: '1m', store: fixedClock() })
    const client = request('2001:db8:aa:bb00::1')
    expect(await statuses(byAddress, [client, client])).toEqual([200, 429])
    await byAddress.reset('2001:db8:aa:bbff::2')
    expect(await statuses(byAddress, [client, client])).toEqual([200, 429])

    const byKey = rateLimit({ limit: 1, window: '1m', store: fixedClock(), key: () => 'user-7' })
    expect(await statuses(byKey, [request(), request()])).toEqual([200, 429])
    await byKey.reset('user-7')
    expect(await statuses(byKey, [request()])).toEqual([200])
  })

  it('counts allowed and limited requests', async () => {
    const metrics = new BriskMetrics()
    const limiter = rateLimit({ limit: 2, window: '1m', store: fixedClock(), metrics })
    await statuses(limiter, [request(), request(), request()])
    expect(metrics.get('ratelimit.allowed')).toBe(2)
    expect(metrics.get('ratelimit.limited')).toBe(1)
  })
})

describe('rateLimit when the store fails', () => {
  const broken: RateLimitStore = {
    name: 'broken',
    consume: (): Promise<Decision> => Promise.reject(new Error('connection refused')),
    reset: () => Promise.resolve(),
  }

  it('fails open by default, limited per process by the in-memory insurance limiter', async () => {
    const limiter = rateLimit({ limit: 2, window: '1m', store: broken })
    const downstream = app()
    const results: number[] = []
    for (let i = 0; i < 3; i++) results.push((await limiter(request(), downstream.next)).status)
    expect(results).toEqual([200, 200, 429])
  })

  it('fails open without any limit when insurance is off', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: broken, insurance: false })
    expect(await statuses(limiter, [request(), request(), request()])).toEqual([200, 200, 200])
  })

  it('fails closed with 503 and a temporary-reduced-capacity problem when configured', async () => {
    const limiter = rateLimit({ limit: 5, window: '1m', store: broken, failure: 'closed' })
    const downstream = app()
    const response = await limiter(request('192.0.2.1', { accept: 'application/json' }), downstream.next)
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toBe('1')
    // No policy was exceeded: the problem names none.
    expect(JSON.parse(response.body!.toString())).toEqual({
      type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
      title: 'Service Unavailable',
      status: 503,
    })
    expect(downstream.calls).toBe(0)
  })

  it('fails closed with 429 when failureStatus is 429, still as reduced capacity, not an exceeded quota', async () => {
    const limiter = rateLimit({
      limit: 5,
      window: '1m',
      store: broken,
      failure: 'closed',
      failureStatus: 429,
    })
    expect(await statuses(limiter, [request()])).toEqual([429])
    const response = await limiter(request('192.0.2.1', { accept: 'application/json' }), app().next)
    expect(JSON.parse(response.body!.toString())).toEqual({
      type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
      title: 'Too Many Requests',
      status: 429,
    })
  })
})

describe('rateLimit admission', () => {
  it('decides synchronously on the memory store, so adapters need no promise per request', () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock(), metrics: new BriskMetrics() })
    const first = limiter.admit(request())
    expect(first).not.toBeInstanceOf(Promise)
    expect(first).toMatchObject({ headers: { 'ratelimit-policy': '"default";q=1;w=60' } })
    const second = limiter.admit(request())
    expect('response' in second && second.response.status).toBe(429)
  })

  it('waits for an asynchronous key function, and counts by address when it returns nothing', async () => {
    const limiter = rateLimit({
      limit: 1,
      window: '1m',
      store: fixedClock(),
      key: async (req) => req.headers['x-user'] as string,
      metrics: new BriskMetrics(),
    })
    expect(
      await statuses(limiter, [
        request('192.0.2.1', { 'x-user': 'ann' }),
        request('192.0.2.2', { 'x-user': 'ann' }),
      ]),
    ).toEqual([200, 429])
    expect(await statuses(limiter, [request('192.0.2.3'), request('192.0.2.3')])).toEqual([200, 429])
  })

  it("does not count brisk's own background refreshes", async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', store: fixedClock(), metrics: new BriskMetrics() })
    const refresh: BriskRequest = { ...request(), hints: { refresh: true } }
    expect(await statuses(limiter, [refresh, refresh, request(), request()])).toEqual([200, 200, 200, 429])
  })
})

describe('rateLimit options', () => {
  it.each<[string, RateLimitOptions, RegExp]>([
    ['no limit', { window: '1m' } as RateLimitOptions, /limit/],
    ['no window', { limit: 5 } as RateLimitOptions, /window/],
    ['a negative limit', { limit: -1, window: '1m' }, /limit/],
    ['limit beside policies', { limit: 1, policies: [{ limit: 1, window: '1s' }] }, /limit/],
    ['a fractional cost', { limit: 1, window: '1m', cost: 0.5 }, /cost/],
    ['an IPv6 prefix of 0', { limit: 1, window: '1m', ipv6Subnet: 0 }, /ipv6Subnet/],
    ['an IPv6 prefix of 129', { limit: 1, window: '1m', ipv6Subnet: 129 }, /ipv6Subnet/],
    ['an unknown failure policy', { limit: 1, window: '1m', failure: 'maybe' as 'open' }, /failure/],
    ['a failure status of 500', { limit: 1, window: '1m', failureStatus: 500 as 503 }, /failureStatus/],
    ['a key that is not a function', { limit: 1, window: '1m', key: 'ip' as unknown as () => string }, /key/],
    ['a store that is not a store', { limit: 1, window: '1m', store: {} as RateLimitStore }, /store/],
    ['an allow list entry that is not an address', { limit: 1, window: '1m', allowList: ['x'] }, /allowList/],
    [
      'metrics that cannot count',
      { limit: 1, window: '1m', metrics: 5 as unknown as BriskMetrics },
      /metrics/,
    ],
    ['metrics without inc()', { limit: 1, window: '1m', metrics: {} as BriskMetrics }, /metrics/],
    [
      'headers that are not a boolean',
      { limit: 1, window: '1m', headers: 'yes' as unknown as boolean },
      /headers/,
    ],
    [
      'a misspelt option, instead of ignoring it',
      { limit: 1, window: '1m', legacyHeader: true } as RateLimitOptions,
      /legacyHeader: "unknown".*legacyHeaders/,
    ],
    [
      'a misspelt option of one policy',
      {
        policies: [
          { limit: 1, window: '1s' },
          { limit: 5, windw: '1m' },
        ],
      } as unknown as RateLimitOptions,
      /policies\[1\]\.windw/,
    ],
    [
      'a logger (the limiter logs nothing; its store does)',
      { limit: 1, window: '1m', logger: false } as RateLimitOptions,
      /logger/,
    ],
  ])('rejects %s at creation', (_label, options, pattern) => {
    expect(() => rateLimit(options)).toThrow(BriskOptionError)
    expect(() => rateLimit(options)).toThrow(pattern)
  })
})
