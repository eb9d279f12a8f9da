/**
 * One process of the cross-process exactness tests: connects to Redis (a server or a
 * cluster), says `ready`, waits for `go` on stdin so that every process fires at once, sends
 * its requests concurrently through rateLimit() with a shared Redis store, and prints how
 * many passed as JSON.
 */
import { rateLimit, redisStore, type PolicyOptions } from '@brisk/ratelimit'
import { Cluster, Redis } from 'ioredis'

interface WorkerConfig {
  url?: string
  cluster?: { host: string; port: number }[]
  prefix: string
  key: string
  requests: number
  policies: PolicyOptions[]
}

const config = JSON.parse(process.env.RATELIMIT_WORKER ?? '{}') as WorkerConfig
const client = config.cluster !== undefined ? new Cluster(config.cluster) : new Redis(config.url ?? '')
const limiter = rateLimit({
  policies: config.policies,
  key: () => config.key,
  store: redisStore({ client, prefix: config.prefix, timeout: 10_000 }),
})

await client.ping()
process.stdout.write('ready\n')
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))

const responses = await Promise.all(
  Array.from({ length: config.requests }, () =>
    limiter({ method: 'GET', url: '/', headers: {}, clientAddress: '192.0.2.1', hints: {} }, async () => ({
      status: 200,
      headers: {},
      body: null,
    })),
  ),
)
const allowed = responses.filter((r) => r.status === 200).length
const limited = responses.filter((r) => r.status === 429).length
process.stdout.write(`${JSON.stringify({ allowed, limited })}\n`)
await client.quit()
process.exit(0)
