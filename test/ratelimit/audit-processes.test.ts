/**
 * Black-box audit of exactness across processes: with limit N, of M ≫ N concurrent HTTP
 * requests from one client spread over several server processes (separate servers, and
 * node:cluster workers on one port) sharing Redis or a 3-master Redis Cluster, exactly N pass.
 * The servers use `redisStore({ client })` with its default options, as the README shows.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Server } from 'node:http'
import { memoryStore, redisStore, type Algorithm, type PolicyOptions } from '@brisk/ratelimit'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  freePort,
  REDIS_URL,
  sharedRedisAvailable,
  startRedisCluster,
  type RedisCluster,
} from '../support/redis-server.js'
import {
  buildApp,
  closeServer,
  FRAMEWORKS,
  listenOn,
  MODES,
  portOf,
  type Framework,
  type Mode,
} from './audit-apps.js'

const SERVER = fileURLToPath(new URL('./audit-server.ts', import.meta.url))
const available = process.env.CI !== undefined || (await sharedRedisAvailable())

interface Started {
  port: number
  child: ChildProcess
}

const children: ChildProcess[] = []
/** What the servers logged after they started (pino lines): one per incident at most. */
const logged: string[] = []

async function startServer(config: Record<string, unknown>): Promise<Started> {
  const child = spawn(process.execPath, ['--conditions=brisk-source', '--import', 'tsx', SERVER], {
    env: { ...process.env, AUDIT_SERVER: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.push(child)
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (first) => {
      resolve(first)
      lines.on('line', (later) => logged.push(later))
    })
    child.once('exit', (code) => reject(new Error(`audit server exited with ${code}`)))
  })
  return { port: (JSON.parse(line) as { port: number }).port, child }
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.stdin?.end()
        }),
    ),
  )
}

/** One GET on a fresh connection; resolves with the status. */
function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Fires `total` requests at once, round-robin over the ports, and counts the statuses. */
async function burst(ports: number[], total: number): Promise<Record<number, number>> {
  const statuses = await Promise.all(Array.from({ length: total }, (_, i) => get(ports[i % ports.length]!)))
  const counts: Record<number, number> = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

describe.runIf(available)('exactly N of M concurrent requests pass across processes sharing Redis', () => {
  const prefix = `brisk-audit:${randomUUID()}:`

  afterEach(stopAll)
  afterAll(async () => {
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  const servers: [string, [Framework, Mode][], Algorithm[]][] = [
    [
      'Express 5 front mode + Koa 3 middleware + node:http stack',
      [
        ['Express 5', 'front'],
        ['Koa 3', 'alone'],
        ['node:http', 'stack'],
      ],
      ['fixed-window', 'sliding-window', 'token-bucket'],
    ],
    [
      'Express 4 middleware + Koa 2 front mode',
      [
        ['Express 4', 'alone'],
        ['Koa 2', 'front'],
      ],
      ['sliding-window'],
    ],
  ]
  it.each(servers)('%s', async (label, list, algorithms) => {
    for (const algorithm of algorithms) {
      const policies: PolicyOptions[] = [{ limit: 25, window: '1000d', algorithm }]
      const own = `${prefix}${label.length}:${algorithm}:`
      const started = await Promise.all(
        list.map(([framework, mode]) =>
          startServer({ framework, mode, url: REDIS_URL, prefix: own, policies }),
        ),
      )
      const counts = await burst(
        started.map((server) => server.port),
        400,
      )
      expect(counts, algorithm).toEqual({ 200: 25, 429: 375 })
      expect(logged).toEqual([])
      await stopAll()
    }
  })

  it('on 3 node:cluster workers sharing one port, with two policies', async () => {
    const port = await freePort()
    await startServer({
      framework: 'Express 5',
      mode: 'front',
      url: REDIS_URL,
      prefix: `${prefix}workers:`,
      workers: 3,
      port,
      policies: [
        { name: 'burst', limit: 30, window: '1000d', algorithm: 'token-bucket' },
        { name: 'total', limit: 40, window: '1000d', algorithm: 'sliding-window' },
      ],
    })
    expect(await burst([port], 450)).toEqual({ 200: 30, 429: 420 })
  })
})

describe.runIf(available)('exactly N of M concurrent requests pass in one process', () => {
  const prefix = `brisk-audit-one:${randomUUID()}:`
  const servers: Server[] = []
  afterAll(async () => {
    await Promise.all(servers.map(closeServer))
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  const cases = FRAMEWORKS.flatMap((framework) => MODES.map((mode) => [framework, mode] as const))
  it.each(cases)('%s (%s), memory and Redis stores', async (framework, mode) => {
    const redis = new Redis(REDIS_URL)
    try {
      for (const store of [
        memoryStore(),
        redisStore({ client: redis, prefix: `${prefix}${framework}:${mode}:` }),
      ]) {
        const app = buildApp(framework, mode, {
          rateLimit: { limit: 15, window: '1000d', algorithm: 'sliding-window', store },
        })
        const server = await listenOn(app.listener)
        servers.push(server)
        expect(await burst([portOf(server)], 150), store.name).toEqual({ 200: 15, 429: 135 })
      }
    } finally {
      await redis.quit()
    }
  })
})

describe('exactly N of M concurrent requests pass across processes on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster | undefined

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  })
  afterEach(stopAll)
  afterAll(async () => {
    await cluster?.stop()
  })

  it('4 servers (Koa 3 and Express 5, front and stack), 1200 concurrent requests, two policies', async () => {
    const policies: PolicyOptions[] = [
      { name: 'burst', limit: 20, window: '1000d', algorithm: 'token-bucket' },
      { name: 'hour', limit: 35, window: '1000d', algorithm: 'fixed-window' },
    ]
    const started = await Promise.all(
      (
        [
          ['Koa 3', 'front'],
          ['Express 5', 'stack'],
          ['Koa 2', 'stack'],
          ['Express 4', 'front'],
        ] as const
      ).map(([framework, mode]) =>
        startServer({ framework, mode, cluster: cluster!.startupNodes, prefix: 'audit:', policies }),
      ),
    )
    const counts = await burst(
      started.map((server) => server.port),
      1200,
    )
    expect(counts).toEqual({ 200: 20, 429: 1180 })
    // No incident: Redis answered every request, however busy the servers were.
    expect(logged).toEqual([])
  })
})
