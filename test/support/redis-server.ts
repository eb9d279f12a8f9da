/**
 * Starts throwaway redis-server processes on free loopback ports for tests that stop, slow,
 * fill or cluster Redis. Only what a test started is ever stopped; the shared server on
 * REDIS_URL is never touched.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { afterAll } from 'vitest'
import {
  freePort,
  redisCommand,
  startRedisServer as launchRedisServer,
  type RedisServer,
} from '../../scripts/redis-server.js'

export { freePort, redisCommand }

/** The shared server every ordinary Redis test uses. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A server a test started: it may stop and restart it (same port, same directory). */
export type RedisProcess = Pick<RedisServer, 'host' | 'port' | 'url' | 'stop' | 'restart'>

async function waitFor(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** The directories of this test file's servers (a restart reuses one). */
const directories = new Set<string>()

// Registered while the test file that imports this module is collected, so it runs once that
// file is done; after hooks run in reverse order, so after the file's own, which stop its
// servers. (A vitest worker is ended without an 'exit' event, so a process hook never runs.)
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
  directories.clear()
})

/**
 * Starts a redis-server on a free loopback port; `args` are extra server flags. Where setpriv
 * works it dies with the test process if that is killed, so an interrupted run leaves no server
 * behind; its directory is removed when the test file is done.
 */
export async function startRedisServer(args: string[] = []): Promise<RedisProcess> {
  const server = await launchRedisServer({ flags: args })
  directories.add(server.dir)
  return server
}

export interface RedisCluster {
  nodes: RedisProcess[]
  /** `{ host, port }` of every master, for `new Redis.Cluster(startupNodes)`. */
  startupNodes: { host: string; port: number }[]
  stop(): Promise<void>
}

/** Starts a cluster of `masters` redis-server processes (no replicas) and waits until it is ok. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisProcess[] = []
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisServer([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${i}.conf`,
          '--cluster-node-timeout',
          '2000',
        ]),
      )
    }
    await createCluster(nodes.map((n) => `127.0.0.1:${n.port}`))
    await waitFor(async () => {
      for (const node of nodes) {
        const info = await redisCommand(node.port, 'CLUSTER INFO', node.host, bulkReplyComplete)
        if (!info.includes('cluster_state:ok')) return false
      }
      return true
    }, 'cluster_state:ok')
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()))
    throw error
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()))
    },
  }
}

function createCluster(addresses: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const cli = spawn(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    cli.stdout?.on('data', (c: Buffer) => (output += c.toString()))
    cli.stderr?.on('data', (c: Buffer) => (output += c.toString()))
    cli.once('error', reject)
    cli.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`redis-cli --cluster create failed (${code}): ${output}`)),
    )
  })
}

/** Whether `reply` holds a whole bulk reply (for INFO-style commands). */
function bulkReplyComplete(reply: string): boolean {
  const header = /^\$(\d+)\r\n/.exec(reply)
  return header !== null && Buffer.byteLength(reply) >= header[0].length + Number(header[1]) + 2
}

/** True when a Redis server answers at REDIS_URL. */
export async function sharedRedisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_URL)
  try {
    return (await redisCommand(Number(url.port || 6379), 'PING', url.hostname)).startsWith('+PONG')
  } catch {
    return false
  }
}
