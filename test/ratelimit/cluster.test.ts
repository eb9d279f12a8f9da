import type { BriskRequest, BriskResponse } from '@brisk/core'
import { rateLimit, redisStore } from '@brisk/ratelimit'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisCluster, type RedisCluster } from '../support/redis-server.js'
import { runWorkers } from './workers.js'

const ok = async (): Promise<BriskResponse> => ({ status: 200, headers: {}, body: null })
const request = (clientAddress: string): BriskRequest => ({
  method: 'GET',
  url: '/',
  headers: {},
  clientAddress,
  hints: {},
})

describe('rate limiting on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster
  let client: Cluster

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    client = new Cluster(cluster.startupNodes)
    await client.ping()
  })
  afterAll(async () => {
    await client?.quit()
    await cluster?.stop()
  })

  it('runs several policies of one client in one script (one slot) and stays exact', async () => {
    const limiter = rateLimit({
      policies: [
        { limit: 20, window: '1000d', algorithm: 'token-bucket', name: 'burst' },
        { limit: 60, window: '1000d', algorithm: 'sliding-window', name: 'total' },
      ],
      store: redisStore({ client, timeout: 5000 }),
    })
    const responses = await Promise.all(Array.from({ length: 300 }, () => limiter(request('192.0.2.10'), ok)))
    expect(responses.filter((r) => r.status === 200)).toHaveLength(20)
  })

  it('spreads clients over the masters and limits each one on its own', async () => {
    const limiter = rateLimit({ limit: 2, window: '1000d', store: redisStore({ client, timeout: 5000 }) })
    const clients = Array.from({ length: 30 }, (_, i) => `198.51.100.${i + 1}`)
    const responses = await Promise.all(
      clients.flatMap((address) => [1, 2, 3].map(() => limiter(request(address), ok))),
    )
    expect(responses.filter((r) => r.status === 200)).toHaveLength(60)
    const used = await Promise.all(client.nodes('master').map(async (node) => (await node.dbsize()) > 0))
    expect(used.filter(Boolean).length).toBeGreaterThan(1)
  })

  it('lets exactly the limit through from 3 processes sharing the cluster', async () => {
    const result = await runWorkers(3, {
      cluster: cluster.startupNodes,
      prefix: 'brisk:rl:',
      key: 'cluster-client',
      requests: 120,
      policies: [{ limit: 45, window: '1000d', algorithm: 'fixed-window' }],
    })
    expect(result).toEqual({ allowed: 45, limited: 315 })
  })
})
