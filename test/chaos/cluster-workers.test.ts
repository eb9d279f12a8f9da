/**
 * Four node:cluster workers behind one port, sharing a tiered cache store and a Redis
 * limiter on the shared REDIS_URL (a private prefix per run): a purge made through one
 * worker is honoured by every worker within PURGE_BOUND_MS (each is polled with HEAD, which
 * never stores, until it misses; the times are printed), and the limiter's count is exact
 * across workers (limit N, M ≫ N concurrent requests spread over the workers: exactly N pass).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send } from '../hostile/raw-http.js'
import { freePort, REDIS_URL, sharedRedisAvailable } from '../support/redis-server.js'
import { until } from './fault-apps.js'

const FLEET = fileURLToPath(new URL('./fleet.ts', import.meta.url))
const LIMIT = 50
const REQUESTS = 600
/** Pub/sub reaches every worker in milliseconds on loopback; the bound allows a busy machine. */
const PURGE_BOUND_MS = 5_000

const available = process.env.CI !== undefined || (await sharedRedisAvailable())

describe.runIf(available)('four node:cluster workers on one port', () => {
  const prefix = `brisk-test:${randomUUID()}:`
  let primary: ChildProcess
  let sharedPort: number
  let ports: number[]

  beforeAll(async () => {
    sharedPort = await freePort()
    primary = spawn(process.execPath, ['--conditions=brisk-source', '--import', 'tsx', FLEET], {
      env: {
        ...process.env,
        FLEET_PORT: String(sharedPort),
        FLEET_PREFIX: prefix,
        FLEET_LIMIT: String(LIMIT),
        REDIS_URL,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const lines = createInterface({ input: primary.stdout! })
    const ready = await new Promise<{ ports: number[] }>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as { ports: number[] }))
      primary.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)))
    })
    ports = ready.ports
  })

  afterAll(async () => {
    const exited = new Promise((resolve) => primary.once('exit', resolve))
    primary.stdin?.end()
    await exited
    const redis = new Redis(REDIS_URL)
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
    redis.disconnect()
  })

  it('honours a purge made through one worker on every worker', async () => {
    // Fill: the first render is stored in Redis and every worker keeps it in its L1.
    for (const port of ports) await send(port, '/page')
    for (const port of ports) {
      const head = await send(port, '/page', {}, 'HEAD')
      expect(String(head.headers['cache-status']), `worker on ${port}`).toContain('hit')
    }
    const purged = await send(ports[0]!, '/purge', {}, 'GET')
    expect(purged.body.toString()).toBe('purged')
    const started = Date.now()
    const times = await Promise.all(
      ports.map(async (port) => {
        await until(
          async () =>
            !String((await send(port, '/page', {}, 'HEAD')).headers['cache-status']).includes('hit'),
          PURGE_BOUND_MS,
          `worker on ${port} dropping the purged page`,
        )
        return Date.now() - started
      }),
    )
    console.log(
      `[chaos] purge through one of ${ports.length} workers honoured by all within ${Math.max(...times)} ms (${times.join(', ')} ms)`,
    )
  })

  it(`lets exactly ${LIMIT} of ${REQUESTS} concurrent requests of one client through, across the workers`, async () => {
    const client = `fleet-client-${randomUUID()}`
    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, () => send(sharedPort, '/other', { 'x-client': client })),
    )
    const passed = responses.filter((r) => r.status === 200).length
    const limited = responses.filter((r) => r.status === 429).length
    const workers = new Set(responses.map((r) => r.headers['x-worker']))
    console.log(
      `[chaos] limiter across ${workers.size} workers: ${passed} passed, ${limited} limited of ${REQUESTS}`,
    )
    // The primary hands connections round-robin to free workers; at least two must share the limit.
    expect(workers.size).toBeGreaterThanOrEqual(2)
    expect(passed).toBe(LIMIT)
    expect(limited).toBe(REQUESTS - LIMIT)
  })
})
