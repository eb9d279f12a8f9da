/**
 * One server process of the cross-process audit, configured as a user following the READMEs
 * would: `redisStore({ client: new Redis(url) })` with its default options (or a Cluster), a
 * limiter keyed by the client address, on the framework and mode named in AUDIT_SERVER. With
 * `workers` set it is a node:cluster primary whose workers share one port. Prints one line,
 * `{"port": n}`, once every process listens; stops when its stdin closes.
 */
import cluster from 'node:cluster'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { redisStore, type PolicyOptions } from '@brisk/ratelimit'
import { Cluster, Redis } from 'ioredis'
import { buildApp, listenOn, type Framework, type Mode } from './audit-apps.js'

interface ServerConfig {
  framework: Framework
  mode: Mode
  url?: string
  cluster?: { host: string; port: number }[]
  prefix: string
  policies: PolicyOptions[]
  /** node:cluster workers sharing one port; absent: this process serves alone. */
  workers?: number
  /** Port to share between workers (chosen by the test). */
  port?: number
}

const config = JSON.parse(process.env.AUDIT_SERVER ?? '{}') as ServerConfig

if (config.workers !== undefined && cluster.isPrimary) {
  let listening = 0
  for (let i = 0; i < config.workers; i++) {
    cluster.fork().on('listening', () => {
      if (++listening === config.workers) process.stdout.write(`${JSON.stringify({ port: config.port })}\n`)
    })
  }
  createInterface({ input: process.stdin }).on('close', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    process.exit(0)
  })
} else {
  const client = config.cluster !== undefined ? new Cluster(config.cluster) : new Redis(config.url ?? '')
  const app = buildApp(config.framework, config.mode, {
    rateLimit: { policies: config.policies, store: redisStore({ client, prefix: config.prefix }) },
  })
  await client.ping()
  if (config.workers !== undefined) {
    const { createServer } = await import('node:http')
    createServer(app.listener).listen(config.port, '127.0.0.1')
  } else {
    const server = await listenOn(app.listener)
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
    createInterface({ input: process.stdin }).on('close', () => process.exit(0))
  }
}
