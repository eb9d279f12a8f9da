/**
 * A redis-server of the run's own, pinned to the load generator's core. The machine's Redis runs
 * wherever the scheduler puts it, often on the server's core: there every command it answers
 * takes CPU from the server being measured (the Koa Redis limiter's server got 87 % of its core),
 * and a Redis variant's req/s then counts Redis's work as the middleware's. On autocannon's core
 * it costs only load-generator headroom, which the Redis variants (server-bound at a fraction of
 * autocannon's rate) leave plenty of.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisAnswers } from './redis-keys.js'

export interface OwnRedis {
  url: string
  /** The redis-server's process id (taskset runs it in its own process). */
  pid: number | undefined
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>
}

/** Whether a `redis-server` binary is on PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/**
 * Starts `redis-server` on a free loopback port, persisting nothing, pinned to `core` with
 * taskset when given; resolves once it answers PING (fails after `timeoutMs`).
 */
export async function startOwnRedis(core: number | undefined, timeoutMs = 10_000): Promise<OwnRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'brisk-bench-redis-'))
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
  const [command, args] =
    core === undefined ? ['redis-server', flags] : ['taskset', ['-c', String(core), 'redis-server', ...flags]]
  const child: ChildProcess = spawn(command, args, { stdio: 'ignore' })
  child.once('error', () => {})
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (!(await redisAnswers(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, pid: child.pid, stop }
}
