/**
 * Black-box audit of the failure policy, from the README ("Failure policy"): Redis stopped in
 * the middle of a run behind apps built as documented (`redisStore({ client: new Redis(url) })`,
 * defaults but a recording logger). Open (default): every request is still answered, bounded
 * by the per-process insurance limiter, one warning per incident, and once Redis is back the
 * counting is Redis's again, starting afresh (a restarted Redis lost its counters). Closed: 503
 * (or 429) with Retry-After while Redis is away.
 */
import type { BriskLogger } from '@brisk/core'
import { redisStore, type RateLimitOptions } from '@brisk/ratelimit'
import { Redis } from 'ioredis'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisProcess } from '../support/redis-server.js'
import { parseList, type SfItem } from '../support/structured-fields.js'
import { buildApp, type Framework, type Mode } from './audit-apps.js'

function recordingLogger(): BriskLogger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = []
  const record = (level: string) => (_obj: object, msg?: string) => lines.push({ level, msg: msg ?? '' })
  return { lines, error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') }
}

/** `r` of the first RateLimit member. */
function remaining(field: string | undefined): number {
  const [first] = parseList(field ?? '') as SfItem[]
  return first!.params.get('r') as number
}

const opened: { server?: RedisProcess; clients: Redis[] } = { clients: [] }
afterEach(async () => {
  for (const client of opened.clients.splice(0)) client.disconnect()
  await opened.server?.stop()
  opened.server = undefined
})

async function privateRedis(): Promise<{ server: RedisProcess; client: Redis; admin: Redis }> {
  const server = await startRedisServer()
  opened.server = server
  // As the README writes it: new Redis(url). The listener only keeps the expected connection
  // errors of a stopped server out of the test output.
  const client = new Redis(server.url)
  const admin = new Redis(server.url)
  for (const c of [client, admin]) c.on('error', () => {})
  opened.clients.push(client, admin)
  await client.ping()
  return { server, client, admin }
}

const combos: [Framework, Mode][] = [
  ['Express 5', 'front'],
  ['Koa 3', 'alone'],
  ['node:http', 'stack'],
]

describe.each(combos)('Redis stopped mid-run on %s (%s)', (framework, mode) => {
  it('fails open: every request answered, the insurance bounds each client, one warning, then Redis counts afresh', async () => {
    const { server, client, admin } = await privateRedis()
    const logger = recordingLogger()
    const store = redisStore({ client, logger, resetTimeout: 100, quietPeriod: 0 })
    const options: RateLimitOptions = { limit: 3, window: '1000d', algorithm: 'fixed-window', store }
    const app = buildApp(framework, mode, { rateLimit: options })
    const agent = request(app.listener)

    expect(remaining((await agent.get('/').expect(200)).headers.ratelimit)).toBe(2)
    expect(remaining((await agent.get('/').expect(200)).headers.ratelimit)).toBe(1)

    await server.stop()
    const during: number[] = []
    for (let i = 0; i < 5; i++) during.push((await agent.get('/')).status)
    // The insurance limiter of this process knows nothing of Redis's count: 3 more, then 429.
    expect(during).toEqual([200, 200, 200, 429, 429])
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1)

    await server.restart()
    // Until the breaker's probe finds Redis again, requests stay with the insurance (429 here).
    let recovered = false
    for (let attempt = 0; attempt < 200 && !recovered; attempt++) {
      const response = await agent.get('/')
      recovered = response.status === 200
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 20))
      else expect(remaining(response.headers.ratelimit)).toBe(2)
    }

    expect(recovered).toBe(true)
    // Counting is Redis's again, from zero: nothing the outage did is replayed into it.
    expect(remaining((await agent.get('/').expect(200)).headers.ratelimit)).toBe(1)
    expect(remaining((await agent.get('/').expect(200)).headers.ratelimit)).toBe(0)
    await agent.get('/').expect(429)
    const keys = await admin.keys('brisk:rl:*')
    expect(keys).toHaveLength(1)
    expect(await admin.hget(keys[0]!, 'b')).toBe('3')
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1)
    expect(logger.lines.filter((line) => line.level === 'info')).toHaveLength(1)
  })

  it('fails closed when configured: 503 with Retry-After and a problem for JSON clients, then serves again', async () => {
    const { server, client } = await privateRedis()
    const store = redisStore({ client, logger: false, resetTimeout: 100 })
    const app = buildApp(framework, mode, {
      rateLimit: { limit: 100, window: '1m', store, failure: 'closed' },
    })
    const agent = request(app.listener)
    await agent.get('/').expect(200)
    await server.stop()
    const ran = app.ran
    const down = await agent.get('/').set('Accept', 'application/json').expect(503)
    expect(down.headers['retry-after']).toMatch(/^\d+$/)
    expect(JSON.parse(down.text)).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
      status: 503,
    })
    await agent.get('/').expect(503)
    expect(app.ran).toBe(ran)

    await server.restart()
    let status = 0
    for (let attempt = 0; attempt < 200 && status !== 200; attempt++) {
      status = (await agent.get('/')).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(status).toBe(200)
  })
})

describe('failing closed with 429', () => {
  it('answers 429 with Retry-After while Redis is away', async () => {
    const { server, client } = await privateRedis()
    const store = redisStore({ client, logger: false })
    const app = buildApp('Express 4', 'alone', {
      rateLimit: { limit: 100, window: '1m', store, failure: 'closed', failureStatus: 429 },
    })
    await server.stop()
    const refused = await request(app.listener).get('/').expect(429)
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)
  })
})
