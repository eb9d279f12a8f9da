/**
 * Audit of the response cache against issue #3, black-box: Redis stopped and restarted while
 * requests keep coming, on stores built as the README shows (`new Redis(url)` with ioredis'
 * defaults, the stores' default timeout and circuit breaker). Each test starts its own
 * redis-server on a free loopback port and stops only that one. Asserted: no request fails,
 * the cache bypasses while Redis is away and serves hits again once it is back, a tiered
 * store keeps answering from L1, and each incident is logged once, not once per request.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cache, memoryStore, redisStore, tieredStore, type CacheStore } from '@brisk/cache'
import type { BriskLogger } from '@brisk/core'
import { withBrisk } from '@brisk/node'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { sharedRedisAvailable, startRedisServer, type RedisProcess } from '../support/redis-server.js'
import { closeAll, track } from './audit-apps.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await closeAll()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

/** A pino-like logger that keeps every line. */
function recordingLogger(): BriskLogger & { lines: string[] } {
  const lines: string[] = []
  const log = (obj: unknown, msg?: string) => void lines.push(typeof obj === 'string' ? obj : (msg ?? ''))
  return { lines, error: log, warn: log, info: log, debug: log } as BriskLogger & { lines: string[] }
}

async function start(store: CacheStore, logger: BriskLogger) {
  let renders = 0
  const mw = cache({ store, logger })
  const server = track(
    createServer(
      withBrisk(
        mw,
        (req, res) => {
          renders++
          res.setHeader('cache-control', 'max-age=300')
          res.setHeader('content-type', 'text/plain')
          res.end(`page ${req.url ?? ''}`)
        },
        { logger: false },
      ),
    ),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, mw, renders: () => renders }
}

async function ask(
  server: Server,
  path: string,
): Promise<{ status: number; body: string; cacheStatus: string }> {
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`)
  return { status: res.status, body: await res.text(), cacheStatus: res.headers.get('cache-status') ?? '' }
}

/** Repeats `check` until it holds (bounded), for recovery that takes as long as it takes. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function redisOnOwnPort(): Promise<{ redis: RedisProcess; client: Redis }> {
  const redis = await startRedisServer()
  const client = new Redis(redis.url)
  client.on('error', () => {})
  cleanups.push(async () => {
    client.disconnect()
    await redis.stop()
  })
  return { redis, client }
}

describe.runIf(runRedis)('Redis stopped and restarted under load', () => {
  it('redisStore: every request answered, bypass while down, hits again after, one incident logged', async () => {
    const { redis, client } = await redisOnOwnPort()
    const logger = recordingLogger()
    const t = await start(redisStore({ client, logger }), logger)
    const paths = Array.from({ length: 10 }, (_, i) => `/p${i}`)
    for (const path of paths) await ask(t.server, path)
    expect((await ask(t.server, '/p0')).cacheStatus).toMatch(/^brisk; hit/)

    await redis.stop()
    const during: string[] = []
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(paths.map((path) => ask(t.server, path)))
      for (const [i, answer] of answers.entries()) {
        expect(answer.status).toBe(200)
        expect(answer.body).toBe(`page ${paths[i] as string}`)
        during.push(answer.cacheStatus)
      }
    }
    expect(during.every((status) => status.includes('fwd=bypass; detail=store-unavailable'))).toBe(true)

    await redis.restart()
    await until(async () => {
      await ask(t.server, '/after')
      return (await ask(t.server, '/after')).cacheStatus.startsWith('brisk; hit')
    }, 'hits after the restart')
    const failing = logger.lines.filter((line) => /failing/.test(line))
    expect(failing.length).toBeGreaterThanOrEqual(1)
    expect(failing.length).toBeLessThanOrEqual(2)
  })

  it('tieredStore: L1 keeps answering while Redis is down, and a purge after the restart reaches it', async () => {
    const { redis, client } = await redisOnOwnPort()
    const logger = recordingLogger()
    const store = tieredStore({ l1: memoryStore(), l2: redisStore({ client, logger }), logger })
    cleanups.push(async () => await store.close?.())
    await store.ready()
    const t = await start(store, logger)
    await ask(t.server, '/kept')
    await redis.stop()
    for (let i = 0; i < 20; i++) {
      const answer = await ask(t.server, '/kept')
      expect(answer.status).toBe(200)
      expect(answer.cacheStatus).toMatch(/^brisk; hit/)
    }
    const fresh = await ask(t.server, '/new-while-down')
    expect(fresh.status).toBe(200)
    await redis.restart()
    await until(async () => {
      await ask(t.server, '/after')
      return (await ask(t.server, '/after')).cacheStatus.startsWith('brisk; hit')
    }, 'hits after the restart')
    await until(async () => {
      try {
        await t.mw.purgeTag('none')
        return true
      } catch {
        return false
      }
    }, 'purges to work again')
    await t.mw.purgeUrl('/kept')
    expect((await ask(t.server, '/kept')).cacheStatus).toMatch(/^brisk; fwd=uri-miss/)
    expect(t.renders()).toBeLessThan(30)
  })
})
