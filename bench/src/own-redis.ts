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
  /** The redis-server's process id (setpriv and taskset exec it, so it keeps theirs). */
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

/** Whether `setpriv --pdeathsig` works here (util-linux, beside taskset). */
export function pdeathsigWorks(): boolean {
  return spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' }).status === 0
}

/**
 * Starts `redis-server` on a free loopback port, persisting nothing, pinned to `core` with
 * taskset when given; resolves once it answers PING, rejects when it exits first or does not
 * answer within `timeoutMs`. Where setpriv can, the server is killed when the harness dies
 * however it dies (SIGKILL, a closed terminal), so a run never leaves one behind.
 */
export async function startOwnRedis(
  core: number | undefined,
  options: { timeoutMs?: number; extraFlags?: readonly string[] } = {},
): Promise<OwnRedis> {
  const timeoutMs = options.timeoutMs ?? 10_000
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
    ...(options.extraFlags ?? []),
  ]
  const pin = core === undefined ? [] : ['taskset', '-c', String(core)]
  const tie = pdeathsigWorks() ? ['setpriv', '--pdeathsig', 'KILL'] : []
  const [command, ...args] = [...tie, ...pin, 'redis-server', ...flags] as [string, ...string[]]
  const child: ChildProcess = spawn(command, args, { stdio: 'ignore' })
  child.once('error', () => {})
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null
  const stop = async (): Promise<void> => {
    if (!exited()) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await gone
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (!(await redisAnswers(url))) {
    if (exited()) {
      const how = child.signalCode ?? `code ${child.exitCode}`
      await stop()
      throw new Error(`redis-server on port ${port} exited (${how}) before answering`)
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, pid: child.pid, stop }
}
