/**
 * Black-box audit of the Redis store's wire behaviour, from the README: one EVALSHA per request
 * and nothing else (one round trip), the script sent again once after SCRIPT FLUSH or a restart
 * (NOSCRIPT), and every key of one client under one hash tag, so that on Redis Cluster all its
 * policies live in one slot. Watched with MONITOR on a private redis-server.
 */
import { redisStore, type RateLimitOptions } from '@brisk/ratelimit'
import { Cluster, Redis } from 'ioredis'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import {
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisProcess,
} from '../support/redis-server.js'
import { parseList, type SfItem } from '../support/structured-fields.js'
import { buildApp } from './audit-apps.js'

/**
 * The commands one client sends from now on (MONITOR), leaving out those a script runs itself.
 * `settled()` resolves once every command sent before it has been reported.
 */
async function monitor(
  server: RedisProcess,
  client: Redis,
): Promise<{ sent: string[]; settled: () => Promise<void>; stop: () => void }> {
  const sent: string[] = []
  const base = new Redis(server.url)
  base.on('error', () => {})
  // ioredis switches a connection to monitoring in a promise callback after MONITOR's OK, so a
  // monitor line in the same TCP read as that OK hits an empty command queue and throws
  // ("Command queue state error"). The only other traffic now is `base`'s own ready check
  // (INFO): let it finish before the watcher connects.
  await base.ping()
  const watcher = await base.monitor()
  watcher.on('error', () => {})
  const pinger = new Redis(server.url)
  pinger.on('error', () => {})
  const source = `127.0.0.1:${client.stream.localPort}`
  let marks = 0
  const waiting = new Map<string, () => void>()
  watcher.on('monitor', (_time: string, args: string[], from: string) => {
    const command = String(args[0]).toLowerCase()
    if (command === 'echo') waiting.get(String(args[1]))?.()
    if (from === source) sent.push(command)
  })
  return {
    sent,
    // MONITOR reports in the server's order: once a later ECHO is seen, all before it were.
    settled: async () => {
      const mark = `settled-${++marks}`
      const seen = new Promise<void>((resolve) => waiting.set(mark, resolve))
      await pinger.echo(mark)
      await seen
    },
    stop: () => {
      watcher.disconnect()
      base.disconnect()
      pinger.disconnect()
    },
  }
}

const POLICIES: RateLimitOptions['policies'] = [
  { name: 'burst', limit: 5, window: '10s', algorithm: 'token-bucket' },
  { name: 'minute', limit: 50, window: '1m', algorithm: 'sliding-window' },
  { name: 'hour', limit: 500, window: '1h', algorithm: 'fixed-window' },
]

describe('the Redis store on the wire', () => {
  let server: RedisProcess | undefined
  const clients: Redis[] = []
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect()
    await server?.stop()
  })

  it('sends one EVALSHA per request and nothing else; after SCRIPT FLUSH, EVAL once', async () => {
    server = await startRedisServer()
    const client = new Redis(server.url)
    const admin = new Redis(server.url)
    admin.on('error', () => {})
    client.on('error', () => {})
    clients.push(client, admin)
    await client.ping()
    const app = buildApp('Express 5', 'front', {
      rateLimit: { policies: POLICIES, store: redisStore({ client, logger: false }) },
    })
    const agent = request(app.listener)
    await agent.get('/').expect(200) // the first request loads the script (NOSCRIPT, then EVAL)

    const watch = await monitor(server, client)
    try {
      for (let i = 0; i < 3; i++) await agent.get('/').expect(200)
      await watch.settled()
      expect(watch.sent).toEqual(['evalsha', 'evalsha', 'evalsha'])

      await admin.script('FLUSH')
      watch.sent.length = 0
      const afterFlush = await agent.get('/').expect(200)
      expect(afterFlush.headers.ratelimit).toMatch(/^"burst";r=0;/) // the count went on: 5th of 5
      await agent.get('/').expect(429)
      await watch.settled()
      expect(watch.sent).toEqual(['evalsha', 'eval', 'evalsha'])
    } finally {
      watch.stop()
    }

    // Hash-tagged keys: every policy of the client under `{127.0.0.1}`.
    const keys = await admin.keys('*')
    expect(keys).toHaveLength(3)
    for (const key of keys) expect(key).toMatch(/^brisk:rl:\{127\.0\.0\.1\}:/)
  })
})

describe('several policies on Redis', () => {
  let server: RedisProcess | undefined
  let client: Redis | undefined
  afterEach(async () => {
    client?.disconnect()
    await server?.stop()
  })

  it('parse as RFC 9651 Lists, and a request refused by one policy consumes from none', async () => {
    server = await startRedisServer()
    client = new Redis(server.url)
    const app = buildApp('Express 5', 'stack', {
      rateLimit: {
        policies: [
          { name: 'burst', limit: 3, window: '1000d', algorithm: 'token-bucket' },
          { name: 'minute', limit: 50, window: '1000d', algorithm: 'sliding-window' },
          { name: 'hour', limit: 500, window: '1000d', algorithm: 'fixed-window' },
        ],
        store: redisStore({ client, logger: false }),
      },
    })
    const agent = request(app.listener)
    const remaining = (field: string): Record<string, number> =>
      Object.fromEntries(
        (parseList(field) as SfItem[]).map((item) => [item.value as string, item.params.get('r') as number]),
      )
    for (let i = 0; i < 3; i++) await agent.get('/').expect(200)
    for (let i = 0; i < 4; i++) {
      const refused = await agent.get('/').expect(429)
      expect(remaining(refused.headers.ratelimit as string)).toEqual({ burst: 0, minute: 47, hour: 497 })
      expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    }
    const keys = await client.keys('*')
    const counts = await Promise.all(
      keys.filter((key) => !key.includes(':burst:')).map((key) => client!.hget(key, 'b')),
    )
    expect(counts).toEqual(['3', '3'])
  })
})

describe('the Redis store on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster | undefined
  let client: Cluster | undefined
  afterEach(async () => {
    await client?.quit()
    await cluster?.stop()
  })

  it('keeps every policy of a client in one slot, and clients spread over the masters', async () => {
    cluster = await startRedisCluster(3)
    client = new Cluster(cluster.startupNodes)
    const app = buildApp('Koa 3', 'front', {
      trust: true,
      rateLimit: { policies: POLICIES, store: redisStore({ client, logger: false }) },
    })
    const agent = request(app.listener)
    for (let i = 1; i <= 40; i++) {
      await agent.get('/').set('X-Forwarded-For', `198.51.100.${i}`).expect(200)
    }
    const masters = client.nodes('master')
    const perNode = await Promise.all(masters.map((node) => node.keys('*')))
    const all = perNode.flat()
    expect(all).toHaveLength(120)
    for (let i = 1; i <= 40; i++) {
      const owners = perNode.filter((keys) => keys.some((key) => key.includes(`{198.51.100.${i}}`)))
      expect(owners, `all three keys of client ${i} on one node`).toHaveLength(1)
      expect(owners[0]!.filter((key) => key.includes(`{198.51.100.${i}}`))).toHaveLength(3)
    }
    expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThan(1)
  })
})
