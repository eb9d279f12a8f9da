/**
 * Starts throwaway redis-server processes on free loopback ports for tests that stop, slow,
 * fill or cluster Redis. Only what a test started is ever stopped; the shared server on
 * REDIS_URL is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The shared server every ordinary Redis test uses. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface RedisProcess {
  host: string
  port: number
  url: string
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port after {@link stop}. */
  restart(): Promise<void>
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/** Sends one inline command and resolves with the first reply line. */
export function redisCommand(port: number, command: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket()
    let reply = ''
    socket.setTimeout(2000, () => socket.destroy(new Error(`redis ${port}: no reply to ${command}`)))
    socket.once('error', reject)
    socket.connect(port, host, () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8')
      if (reply.includes('\r\n')) {
        socket.end()
        resolve(reply)
      }
    })
  })
}

async function waitFor(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Starts a redis-server on a free loopback port; `args` are extra server flags. */
export async function startRedisServer(args: string[] = []): Promise<RedisProcess> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'brisk-redis-'))
  let child: ChildProcess | undefined

  const launch = async (): Promise<void> => {
    const flags = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]
    child = spawn('redis-server', [...flags, ...args], { stdio: 'ignore' })
    const started = child
    started.once('error', () => {})
    await waitFor(
      async () => (await redisCommand(port, 'PING')).startsWith('+PONG'),
      `redis-server on ${port}`,
    )
  }

  const stop = async (): Promise<void> => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGTERM')
    const timer = setTimeout(() => running.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }

  await launch()
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: launch,
  }
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
        const info = await redisCommandFull(node.port, 'CLUSTER INFO')
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

/** Like {@link redisCommand} but waits for a whole bulk reply (for INFO-style commands). */
function redisCommandFull(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket()
    let reply = ''
    socket.setTimeout(2000, () => socket.destroy(new Error(`redis ${port}: no reply to ${command}`)))
    socket.once('error', reject)
    socket.connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8')
      const header = /^\$(\d+)\r\n/.exec(reply)
      if (header !== null && Buffer.byteLength(reply) >= header[0].length + Number(header[1]) + 2) {
        socket.end()
        resolve(reply)
      }
    })
  })
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
