import type { BriskLogger, BriskRequest, BriskResponse } from '@brisk/core'
import { rateLimit, redisStore, type RedisStore } from '@brisk/ratelimit'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisProcess } from '../support/redis-server.js'

const ok = async (): Promise<BriskResponse> => ({ status: 200, headers: {}, body: null })
const request = (clientAddress = '192.0.2.1'): BriskRequest => ({
  method: 'GET',
  url: '/',
  headers: {},
  clientAddress,
  hints: {},
})

function recordingLogger(): BriskLogger & { lines: string[] } {
  const lines: string[] = []
  const record = (level: string) => (_obj: object, msg?: string) => lines.push(`${level}: ${msg ?? ''}`)
  return { lines, error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') }
}

/** Sends requests until the store's circuit is closed again (Redis answered a probe). */
async function untilRecovered(store: RedisStore, send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    await send()
    if (store.guard.state === 'closed') return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('the store never recovered')
}

describe('rate limiting while Redis goes down and comes back', () => {
  let server: RedisProcess | undefined
  let client: Redis | undefined
  afterEach(async () => {
    client?.disconnect()
    await server?.stop()
  })

  it('fails open with a per-process insurance limit, logs once, and uses Redis again after it returns', async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => {}) // connection errors while the server is down are expected here
    const logger = recordingLogger()
    const store = redisStore({ client, timeout: 100, resetTimeout: 100, quietPeriod: 0, logger })
    const limiter = rateLimit({ limit: 3, window: '1000d', algorithm: 'fixed-window', store })

    expect((await limiter(request('192.0.2.1'), ok)).status).toBe(200)
    await server.stop()

    // Redis is gone: the insurance limiter (3 per client, this process) takes over.
    const during: number[] = []
    for (let i = 0; i < 5; i++) during.push((await limiter(request('192.0.2.2'), ok)).status)
    expect(during).toEqual([200, 200, 200, 429, 429])
    expect(logger.lines.filter((line) => line.startsWith('warn'))).toHaveLength(1)

    await server.restart()
    await untilRecovered(store, () => limiter(request('192.0.2.3'), ok))
    expect(logger.lines.filter((line) => line.startsWith('info'))).toHaveLength(1)
    expect(logger.lines.filter((line) => line.startsWith('warn'))).toHaveLength(1)

    // The restarted server lost the script and the counters: EVALSHA gets NOSCRIPT, EVAL
    // reloads it, and counting starts over in Redis (the insurance counts stay local).
    const after: number[] = []
    for (let i = 0; i < 4; i++) after.push((await limiter(request('192.0.2.1'), ok)).status)
    expect(after).toEqual([200, 200, 200, 429])
    expect(await client.keys('brisk:rl:{192.0.2.1}*')).toHaveLength(1)
  })

  it('fails closed with 503 while Redis is down when configured, and serves again after', async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => {}) // connection errors while the server is down are expected here
    const store = redisStore({ client, timeout: 100, resetTimeout: 100, logger: false })
    const limiter = rateLimit({ limit: 100, window: '1m', store, failure: 'closed' })
    expect((await limiter(request(), ok)).status).toBe(200)
    await server.stop()
    const down = await limiter(request(), ok)
    expect(down.status).toBe(503)
    expect(down.headers['retry-after']).toBe('1')
    await server.restart()
    await untilRecovered(store, () => limiter(request(), ok))
    expect((await limiter(request(), ok)).status).toBe(200)
  })
})
