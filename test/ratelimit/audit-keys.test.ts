/**
 * Black-box audit of whom the limiter counts, from the READMEs alone ("Client address"): the
 * address is the framework's own (`req.ip` under Express's `trust proxy`, `ctx.ip` under Koa's
 * `app.proxy`, node's `trustProxy`) in every mode, front mode included; X-Forwarded-For is
 * ignored without trust; IPv6 clients are grouped by /56 (configurable); an IPv4-mapped IPv6
 * address is its IPv4 client, never a /56 group of every IPv4 client; key, skip and allow lists.
 */
import { memoryStore } from '@brisk/ratelimit'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildApp,
  closeServer,
  FRAMEWORKS,
  listenOn,
  MODES,
  portOf,
  type Framework,
  type Mode,
  type Trust,
} from './audit-apps.js'

const cases: [Framework, Mode][] = FRAMEWORKS.flatMap((framework) =>
  MODES.map((mode): [Framework, Mode] => [framework, mode]),
)

/** Sends one request with these forwarding headers and returns the status. */
async function statusOf(
  listener: Parameters<typeof request>[0],
  headers: Record<string, string> = {},
): Promise<number> {
  const response = await request(listener).get('/').set(headers)
  return response.status
}

const FORWARDED = [
  undefined,
  '198.51.100.1',
  '203.0.113.9, 198.51.100.1',
  '10.1.2.3, 127.0.0.1',
  'not-an-address, 198.51.100.2',
  '2001:db8::1, ::ffff:198.51.100.3',
]

describe.each(['Express 4', 'Express 5'] as const)(
  'the limiter counts req.ip on %s, in middleware and front mode alike',
  (framework) => {
    const trusts: [string, Trust][] = [
      ['off (default)', false],
      ['true', true],
      ["'loopback'", 'loopback'],
      ['1 hop', 1],
      ['2 hops', 2],
      ["'10.0.0.0/8, loopback'", '10.0.0.0/8, loopback'],
      ['a function', (address: string) => address === '127.0.0.1' || address === '::ffff:127.0.0.1'],
    ]
    it.each(trusts)('with trust proxy %s', async (_label, trust) => {
      for (const mode of MODES) {
        const seen: string[] = []
        const app = buildApp(framework, mode, {
          trust,
          rateLimit: {
            limit: 1000,
            window: '1m',
            key: (req) => {
              seen.push(req.clientAddress)
              return req.clientAddress
            },
          },
          handler: (_req, ip) => ({ body: ip ?? '' }),
        })
        for (const forwarded of FORWARDED) {
          const response = await request(app.listener)
            .get('/')
            .set(forwarded === undefined ? {} : { 'X-Forwarded-For': forwarded })
            .expect(200)
          expect(seen.pop(), `${mode}, X-Forwarded-For: ${forwarded}`).toBe(response.text)
        }
      }
    })
  },
)

describe.each(['Express 4', 'Express 5'] as const)(
  '%s front mode reads trust proxy per request',
  (framework) => {
    it('follows app.set("trust proxy") made after front() was built, as req.ip does', async () => {
      const seen: string[] = []
      const app = buildApp(framework, 'front', {
        rateLimit: {
          limit: 1000,
          window: '1m',
          key: (req) => {
            seen.push(req.clientAddress)
            return req.clientAddress
          },
        },
        handler: (_req, ip) => ({ body: ip ?? '' }),
      })
      const first = await request(app.listener).get('/').set('X-Forwarded-For', '198.51.100.1').expect(200)
      expect(seen.pop()).toBe(first.text)
      app.set?.('trust proxy', 'loopback')
      const second = await request(app.listener).get('/').set('X-Forwarded-For', '198.51.100.1').expect(200)
      expect(second.text).toBe('198.51.100.1')
      expect(seen.pop()).toBe('198.51.100.1')
    })
  },
)

describe.each(['Koa 2', 'Koa 3'] as const)(
  'the limiter counts ctx.ip on %s, in middleware and front mode alike',
  (framework) => {
    const settings: [string, Trust, { proxyIpHeader?: string; maxIpsCount?: number }][] = [
      ['app.proxy off', false, {}],
      ['app.proxy on', true, {}],
      ['app.proxy with maxIpsCount 1', true, { maxIpsCount: 1 }],
      ['app.proxy with proxyIpHeader X-Real-IP', true, { proxyIpHeader: 'X-Real-IP' }],
    ]
    it.each(settings)('with %s', async (_label, trust, koa) => {
      for (const mode of MODES) {
        const seen: string[] = []
        const app = buildApp(framework, mode, {
          trust,
          koa,
          rateLimit: {
            limit: 1000,
            window: '1m',
            key: (req) => {
              seen.push(req.clientAddress)
              return req.clientAddress
            },
          },
          handler: (_req, ip) => ({ body: ip ?? '' }),
        })
        for (const forwarded of FORWARDED) {
          const headers: Record<string, string> =
            forwarded === undefined ? {} : { 'X-Forwarded-For': forwarded, 'X-Real-IP': forwarded }
          const response = await request(app.listener).get('/').set(headers).expect(200)
          expect(seen.pop(), `${mode}, forwarded: ${forwarded}`).toBe(response.text)
        }
      }
    })
  },
)

/** Trust the loopback proxy the tests connect from, in each framework's own terms. */
const TRUST_LOOPBACK: Trust = 'loopback'

describe.each(cases)('client keys on %s (%s)', (framework, mode) => {
  const build = (options: Parameters<typeof buildApp>[2]) => buildApp(framework, mode, options).listener
  const xff = (address: string) => ({ 'X-Forwarded-For': address })

  it('ignores spoofed forwarding headers without proxy trust', async () => {
    const listener = build({ rateLimit: { limit: 1, window: '1m' } })
    expect(await statusOf(listener, xff('198.51.100.1'))).toBe(200)
    expect(await statusOf(listener, xff('198.51.100.2'))).toBe(429)
    expect(await statusOf(listener, { 'X-Real-IP': '198.51.100.3' })).toBe(429)
    expect(await statusOf(listener, { Forwarded: 'for=198.51.100.4' })).toBe(429)
    expect(await statusOf(listener)).toBe(429)
  })

  it('counts forwarded clients apart behind a trusted proxy', async () => {
    const listener = build({ trust: TRUST_LOOPBACK, rateLimit: { limit: 1, window: '1m' } })
    expect(await statusOf(listener, xff('198.51.100.1'))).toBe(200)
    expect(await statusOf(listener, xff('198.51.100.2'))).toBe(200)
    expect(await statusOf(listener, xff('198.51.100.1'))).toBe(429)
  })

  it('groups IPv6 clients by /56, so rotating inside an allocation does not escape', async () => {
    const listener = build({ trust: TRUST_LOOPBACK, rateLimit: { limit: 2, window: '1m' } })
    expect(await statusOf(listener, xff('2001:db8:0:1::1'))).toBe(200)
    expect(await statusOf(listener, xff('2001:db8:0:ff:abcd:1234:5678:9abc'))).toBe(200)
    expect(await statusOf(listener, xff('2001:db8::42'))).toBe(429) // same /56: 2001:db8:0:0-ff
    expect(await statusOf(listener, xff('2001:DB8:0:0080::7'))).toBe(429)
    expect(await statusOf(listener, xff('2001:db8:0:100::1'))).toBe(200) // the next /56
  })

  it('groups by the configured ipv6Subnet', async () => {
    const listener = build({ trust: TRUST_LOOPBACK, rateLimit: { limit: 1, window: '1m', ipv6Subnet: 64 } })
    expect(await statusOf(listener, xff('2001:db8:0:1::1'))).toBe(200)
    expect(await statusOf(listener, xff('2001:db8:0:1:ffff::2'))).toBe(429)
    expect(await statusOf(listener, xff('2001:db8:0:2::1'))).toBe(200)
  })

  it('counts an IPv4-mapped IPv6 address as its IPv4 client, not as a /56 of all IPv4', async () => {
    const listener = build({ trust: TRUST_LOOPBACK, rateLimit: { limit: 1, window: '1m' } })
    expect(await statusOf(listener, xff('::ffff:198.51.100.7'))).toBe(200)
    expect(await statusOf(listener, xff('198.51.100.7'))).toBe(429)
    expect(await statusOf(listener, xff('::FFFF:198.51.100.7'))).toBe(429)
    expect(await statusOf(listener, xff('::ffff:c633:6407'))).toBe(429) // 198.51.100.7 in hex
    expect(await statusOf(listener, xff('0:0:0:0:0:ffff:198.51.100.7'))).toBe(429)
    // Other IPv4 clients, mapped or not, are other clients.
    expect(await statusOf(listener, xff('::ffff:198.51.100.8'))).toBe(200)
    expect(await statusOf(listener, xff('::ffff:203.0.113.1'))).toBe(200)
    expect(await statusOf(listener, xff('198.51.100.9'))).toBe(200)
  })

  it('counts by the key function (an API key), falling back to the address without one', async () => {
    const listener = build({
      rateLimit: {
        limit: 1,
        window: '1m',
        key: (req) => {
          const value = req.headers['x-api-key']
          return typeof value === 'string' ? `key:${value}` : (undefined as unknown as string)
        },
      },
    })
    expect(await statusOf(listener, { 'X-API-Key': 'alice' })).toBe(200)
    expect(await statusOf(listener, { 'X-API-Key': 'alice' })).toBe(429)
    expect(await statusOf(listener, { 'X-API-Key': 'bob' })).toBe(200)
    expect(await statusOf(listener)).toBe(200)
    expect(await statusOf(listener)).toBe(429)
  })

  it('awaits an asynchronous key function (an API key looked up elsewhere)', async () => {
    const listener = build({
      rateLimit: {
        limit: 1,
        window: '1m',
        key: async (req) => {
          await new Promise((resolve) => setImmediate(resolve))
          return `user:${String(req.headers['x-user'])}`
        },
      },
    })
    expect(await statusOf(listener, { 'X-User': 'alice' })).toBe(200)
    expect(await statusOf(listener, { 'X-User': 'alice' })).toBe(429)
    expect(await statusOf(listener, { 'X-User': 'bob' })).toBe(200)
  })

  it('lets skipped requests and allow-listed clients through uncounted and without fields', async () => {
    const listener = build({
      trust: TRUST_LOOPBACK,
      rateLimit: {
        limit: 1,
        window: '1m',
        skip: (req) => req.url === '/health',
        allowList: ['10.0.0.0/8', '2001:db8:1::/48', '192.0.2.1'],
      },
    })
    for (let i = 0; i < 3; i++) {
      const health = await request(listener).get('/health').expect(200)
      expect(health.headers.ratelimit).toBeUndefined()
      const internal = await request(listener).get('/').set(xff('10.9.8.7')).expect(200)
      expect(internal.headers.ratelimit).toBeUndefined()
      await request(listener).get('/').set(xff('2001:db8:1:ff::1')).expect(200)
      await request(listener).get('/').set(xff('::ffff:192.0.2.1')).expect(200)
    }
    expect(await statusOf(listener, xff('198.51.100.1'))).toBe(200)
    expect(await statusOf(listener, xff('198.51.100.1'))).toBe(429)
  })
})

describe.each(cases)('a dual-stack socket on %s (%s)', (framework, mode) => {
  let server: Awaited<ReturnType<typeof listenOn>> | undefined
  afterEach(async () => {
    if (server !== undefined) await closeServer(server)
    server = undefined
  })

  // Listening on `::`, an IPv4 client's socket address is `::ffff:127.0.0.1`.
  it('counts an IPv4 client seen as ::ffff:a.b.c.d as that IPv4 address (allow list, reset)', async () => {
    const allowed = buildApp(framework, mode, {
      rateLimit: { limit: 1, window: '1m', allowList: ['127.0.0.1'] },
      handler: (req) => ({ body: req.socket.remoteAddress ?? '' }),
    })
    server = await listenOn(allowed.listener, '::')
    const url = `http://127.0.0.1:${portOf(server)}`
    const first = await request(url).get('/').expect(200)
    expect(first.text).toBe('::ffff:127.0.0.1')
    await request(url).get('/').expect(200)
    await request(url).get('/').expect(200)
    await closeServer(server)

    const limited = buildApp(framework, mode, {
      rateLimit: { limit: 1, window: '1m', store: memoryStore() },
    })
    server = await listenOn(limited.listener, '::')
    const again = `http://127.0.0.1:${portOf(server)}`
    await request(again).get('/').expect(200)
    await request(again).get('/').expect(429)
    if (limited.reset !== undefined) {
      await limited.reset('127.0.0.1')
      await request(again).get('/').expect(200)
    }
  })
})
