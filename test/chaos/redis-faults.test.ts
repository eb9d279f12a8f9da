/**
 * Fault injection against real Redis while a bounded autocannon load runs against a Koa app
 * (full stack, Redis cache store) and an Express app (full stack, tiered store): Redis
 * stopped and restarted, Redis paused (slower than the stores' timeout), Redis full
 * (maxmemory with noeviction), and one master of a 3-master cluster stopped.
 *
 * Asserted, never timed: zero requests fail (the limiter fails open, the cache bypasses), the
 * fail-closed route answers 503 during the fault as configured, the cache serves hits again
 * after Redis returns (polled with a generous bound), and each component logs its incident
 * once, not once per request. The figures are printed.
 */
import { randomUUID } from 'node:crypto'
import { Redis, Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send } from '../hostile/raw-http.js'
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js'
import {
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisProcess,
} from '../support/redis-server.js'
import {
  cacheServesHits,
  limiterBack,
  load,
  startFaultApp,
  until,
  type FaultApp,
  type LogLine,
  type PhaseFigures,
} from './fault-apps.js'

const PHASE_SECONDS = 3
const RECOVERY_BOUND_MS = 60_000
const MAX_INCIDENTS = 3

interface FaultFigures {
  app: string
  before: PhaseFigures
  during: PhaseFigures
  after: PhaseFigures
  recoveryMs: number
  strictDuring: number
  log: LogLine[]
}

/** Loads, injects, loads, removes, waits for recovery, loads again; returns the figures per app. */
async function runFault(
  name: string,
  apps: FaultApp[],
  inject: () => Promise<void>,
  remove: () => Promise<void>,
): Promise<FaultFigures[]> {
  // Warm up: every page stored, so "before" measures a cache that works.
  await Promise.all(apps.map((app) => load(app, 1)))
  const before = await Promise.all(apps.map((app) => load(app, PHASE_SECONDS)))
  const marks = apps.map((app) => app.logger.lines.length)
  await inject()
  const strictDuring = await Promise.all(apps.map(async (app) => (await send(app.port, '/strict')).status))
  const during = await Promise.all(apps.map((app) => load(app, PHASE_SECONDS)))
  await remove()
  const recoveryMs = await Promise.all(
    apps.map((app) =>
      until(
        async () => (await cacheServesHits(app)) && (await limiterBack(app)),
        RECOVERY_BOUND_MS,
        `${app.name} recovery`,
      ),
    ),
  )
  await Promise.all(apps.map((app) => load(app, 1))) // refill what the fault dropped
  const after = await Promise.all(apps.map((app) => load(app, PHASE_SECONDS)))
  const figures = apps.map((app, i) => ({
    app: app.name,
    before: before[i]!,
    during: during[i]!,
    after: after[i]!,
    recoveryMs: recoveryMs[i]!,
    strictDuring: strictDuring[i]!,
    log: app.logger.lines.slice(marks[i]),
  }))
  const pct = (r: number) => `${(r * 100).toFixed(1)}%`
  for (const f of figures) {
    console.log(
      `[chaos] ${name} / ${f.app}: requests ${f.before.requests}/${f.during.requests}/${f.after.requests} ` +
        `(before/during/after), failures ${f.before.failures + f.during.failures + f.after.failures}, ` +
        `hit ratio ${pct(f.before.hitRatio)} / ${pct(f.during.hitRatio)} / ${pct(f.after.hitRatio)}, ` +
        `recovered in ${f.recoveryMs} ms, fail-closed route during fault ${f.strictDuring}, ` +
        `log lines ${f.log.length}: ${f.log.map((l) => `${l.level} ${l.msg}`).join(' | ')}`,
    )
  }
  return figures
}

interface Expectations {
  /** Redis refuses every command of the fail-closed limiter, so its route must answer 503. */
  strictRefused: boolean
}

/** What every fault must satisfy. */
function expectHandled(figures: FaultFigures[], expectations: Expectations): void {
  for (const f of figures) {
    expect(f.before.failures, `${f.app} before`).toBe(0)
    expect(f.during.failures, `${f.app} during`).toBe(0)
    expect(f.after.failures, `${f.app} after`).toBe(0)
    expect(f.during.requests, `${f.app} served during the fault`).toBeGreaterThan(0)
    expect(f.before.hitRatio, `${f.app} hit ratio before`).toBeGreaterThan(0.5)
    expect(f.after.hitRatio, `${f.app} hit ratio after`).toBeGreaterThan(0.5)
    if (expectations.strictRefused) expect(f.strictDuring, `${f.app} fail-closed route`).toBe(503)
    else expect([200, 503], `${f.app} fail-closed route`).toContain(f.strictDuring)
    // One line when an incident starts (and one when it ends) per component, never per request.
    const warnings = f.log.filter((line) => line.level === 'warn' || line.level === 'error')
    expect(warnings.length, `${f.app} warnings`).toBeGreaterThan(0)
    // Per component (a guard's name, the tiered subscriber), lines alternate: one when an
    // incident starts, one when it ends. A busy machine may time out a command once more
    // after recovery (a real, short incident), so up to MAX_INCIDENTS are allowed; a line per
    // request would be thousands.
    const perComponent = new Map<string, LogLine[]>()
    for (const line of f.log) {
      const component = line.msg
        .replace(/ (failing|recovered|disconnected|back)\b.*$/, '')
        .replace(/:.*$/, '')
      perComponent.set(component, [...(perComponent.get(component) ?? []), line])
    }
    for (const [component, lines] of perComponent) {
      const levels = lines.map((line) => line.level)
      levels.forEach((level, i) =>
        expect(level, `${f.app} ${component}: ${levels.join(' ')}`).toBe(i % 2 === 0 ? 'warn' : 'info'),
      )
      expect(
        levels.filter((level) => level === 'warn').length,
        `${f.app} ${component} incidents`,
      ).toBeLessThanOrEqual(MAX_INCIDENTS)
    }
  }
}

describe('a single Redis under load', () => {
  let redis: RedisProcess
  let proxy: LatencyProxy
  let client: Redis
  let admin: Redis
  let apps: FaultApp[]

  beforeAll(async () => {
    redis = await startRedisServer()
    // The apps reach Redis through a latency proxy (pass-through unless a test slows it);
    // the admin connection that injects faults goes straight to the server.
    proxy = await startLatencyProxy(redis.port)
    client = new Redis(proxy.port, '127.0.0.1')
    client.on('error', () => {}) // ioredis reports every reconnect attempt; brisk's guards log the incident
    admin = new Redis(redis.url)
    admin.on('error', () => {})
    const prefix = `brisk-chaos:${randomUUID()}:`
    apps = [
      await startFaultApp('koa', client, `${prefix}koa:`),
      await startFaultApp('express', client, `${prefix}express:`),
    ]
  })

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
    client.disconnect()
    admin.disconnect()
    await proxy.close()
    await redis.stop()
  })

  it('keeps serving while Redis is stopped, and caches again once it restarts', async () => {
    const figures = await runFault(
      'redis stopped',
      apps,
      () => redis.stop(),
      () => redis.restart(),
    )
    expectHandled(figures, { strictRefused: true })
  })

  it('keeps serving while Redis answers slower than the store timeout (CLIENT PAUSE), then recovers', async () => {
    const figures = await runFault(
      'redis slow',
      apps,
      async () => {
        await admin.call('CLIENT', 'PAUSE', String((PHASE_SECONDS + 2) * 1000), 'ALL')
      },
      async () => {
        await until(async () => (await admin.ping()) === 'PONG', 30_000, 'pause end')
      },
    )
    expectHandled(figures, { strictRefused: true })
  })

  it('keeps serving while every Redis reply arrives 300 ms late (latency proxy), then recovers', async () => {
    const figures = await runFault(
      'redis 300 ms latency',
      apps,
      async () => {
        proxy.delayMs = 300
      },
      async () => {
        proxy.delayMs = 0
      },
    )
    expectHandled(figures, { strictRefused: true })
  })

  it('keeps serving while Redis is full (maxmemory, noeviction) and stores again once it has room', async () => {
    const filler = `brisk-chaos-filler:${randomUUID()}`
    const figures = await runFault(
      'redis full',
      apps,
      async () => {
        await admin.set(filler, Buffer.alloc(2 * 1024 * 1024, 1))
        await admin.config('SET', 'maxmemory-policy', 'noeviction')
        // Well under what the data set alone holds, so that freed client buffers never make
        // room again while the fault lasts.
        await admin.config('SET', 'maxmemory', String(512 * 1024))
        // New writes are refused from here on.
        await expect(admin.set(`${filler}:probe`, 'x')).rejects.toThrow(/OOM/)
      },
      async () => {
        await admin.config('SET', 'maxmemory', '0')
        await admin.del(filler)
      },
    )
    // Reads still succeed while writes are refused: one incident, not one per refused write
    // (the guard ends an incident only after a quiet period without failures).
    expectHandled(figures, { strictRefused: true })
  })
})

describe('a Redis Cluster master stopped under load', () => {
  let cluster: RedisCluster
  let client: Cluster
  let apps: FaultApp[]

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    client = new Cluster(cluster.startupNodes)
    client.on('error', () => {})
    await client.ping()
    const prefix = `brisk-chaos:${randomUUID()}:`
    apps = [
      await startFaultApp('koa', client, `${prefix}koa:`),
      await startFaultApp('express', client, `${prefix}express:`),
    ]
  })

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
    client.disconnect()
    await cluster.stop()
  })

  it('keeps serving while one master is down, and caches again once it rejoins', async () => {
    const node = cluster.nodes[1]!
    const figures = await runFault(
      'cluster master stopped',
      apps,
      () => node.stop(),
      () => node.restart(),
    )
    // Keys on the live masters keep working until the cluster marks the node failed, so the
    // fail-closed route answers 200 or 503 depending on its slot. The store's single guard sees
    // successes from live masters between failures from the dead one: still one incident.
    expectHandled(figures, { strictRefused: false })
  })
})
