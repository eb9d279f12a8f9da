/**
 * A fleet for cluster-workers.test.ts: the primary forks WORKERS node:cluster workers that
 * share one port (FLEET_PORT), each serving the full stack with a tiered cache store and a
 * Redis limiter on REDIS_URL under FLEET_PREFIX. Each worker also listens on a port of its own
 * (exclusive), so a test can reach one worker at will. The primary prints one JSON line,
 * `{"ready": true, "ports": [...]}`, once every worker listens and is subscribed, and stops
 * the workers when its stdin closes.
 *
 * Routes: `/page` (cacheable, body names the worker and its render count), `/purge` (purges
 * `/page` through this worker's cache), anything else a plain 200. Every response names its
 * worker in `X-Worker`. The limiter keys on `X-Client` (limit FLEET_LIMIT per hour).
 */
import cluster from 'node:cluster'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { memoryStore, redisStore, tieredStore } from '@brisk/cache'
import { withBrisk } from '@brisk/node'
import { redisStore as limiterRedisStore } from '@brisk/ratelimit'
import { createStack } from '@brisk/stack'
import { Redis } from 'ioredis'

const WORKERS = 4
const sharedPort = Number(process.env.FLEET_PORT)
const prefix = process.env.FLEET_PREFIX ?? 'brisk-fleet:'
const limit = Number(process.env.FLEET_LIMIT ?? '50')
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

if (cluster.isPrimary) {
  const ports: number[] = []
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork()
    worker.on('message', (message: { port?: number }) => {
      if (typeof message.port !== 'number') return
      ports.push(message.port)
      if (ports.length === WORKERS) process.stdout.write(`${JSON.stringify({ ready: true, ports })}\n`)
    })
  }
  const stop = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    process.exit(0)
  }
  createInterface({ input: process.stdin }).on('close', stop)
  process.on('SIGTERM', stop)
} else {
  const client = new Redis(redisUrl)
  const l2 = redisStore({ client, prefix: `${prefix}cache:`, timeout: '2s', logger: false })
  const store = tieredStore({ l1: memoryStore({ maxSize: '8 MB' }), l2, logger: false })
  const stack = createStack({
    rateLimit: {
      limit,
      window: '1h',
      algorithm: 'fixed-window',
      store: limiterRedisStore({ client, prefix: `${prefix}rl:`, timeout: '2s', logger: false }),
      key: (req) => String(req.headers['x-client'] ?? req.clientAddress),
    },
    cache: { store, ttl: '10m', logger: false },
    logger: false,
  })
  const id = String(cluster.worker?.id ?? 0)
  let renders = 0
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/page') {
      renders++
      res.setHeader('content-type', 'text/html')
      res.end(`page rendered by worker ${id}, render ${renders}`)
    } else if (req.url === '/purge') {
      stack.cache?.purgeUrl('/page').then(
        () => res.end('purged'),
        () => {
          res.statusCode = 503
          res.end('purge failed')
        },
      )
    } else {
      res.end('ok')
    }
  }
  const wrapped = withBrisk(stack, listener, { logger: false })
  // Named before brisk runs, so answers brisk gives itself (429, hits) name the worker too.
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('x-worker', id)
    wrapped(req, res)
  }
  await store.ready()
  await new Promise<void>((resolve) => createServer(handler).listen(sharedPort, '127.0.0.1', resolve))
  const own = createServer(handler)
  await new Promise<void>((resolve) => own.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve))
  process.send?.({ port: (own.address() as AddressInfo).port })
}
