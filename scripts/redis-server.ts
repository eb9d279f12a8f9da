/**
 * Throwaway `redis-server` processes on free loopback ports, for the tests that stop, slow, fill
 * or cluster Redis and for the bench's own pinned server. One launcher for both, so the flags
 * that keep such a server from touching anything of the machine's (loopback only, nothing
 * saved, its own temporary directory) are written once. Only what was started here is ever
 * stopped; a server on REDIS_URL is never touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServerOptions {
  /** Extra server flags, after the defaults (which they may override). */
  flags?: readonly string[]
  /** Pin the server to this core with `taskset` (util-linux). Default: not pinned. */
  core?: number
  /**
   * Kill the server when the process that started it dies, however it dies (SIGKILL, a closed
   * terminal), with `setpriv --pdeathsig KILL` where it works. Default true: a killed test run
   * or bench leaves no server behind.
   */
  dieWithParent?: boolean
  /** How long to wait for the first PONG, in ms. Default 10 000. */
  timeoutMs?: number
}

export interface RedisServer {
  host: string
  port: number
  url: string
  /** The server's working directory (`--dir`), a temporary one of its own. */
  dir: string
  /** The redis-server's process id (setpriv and taskset exec it, so it keeps theirs). */
  readonly pid: number | undefined
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port and directory after {@link stop}. */
  restart(): Promise<void>
  /** Stops the server and removes its directory; it cannot be restarted after. */
  dispose(): Promise<void>
}

/** Whether a `redis-server` binary is on PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

let pdeathsig: boolean | undefined

/** Whether `setpriv --pdeathsig` works here (util-linux, beside taskset). */
export function pdeathsigWorks(): boolean {
  pdeathsig ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' }).status === 0
  return pdeathsig
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export function freePort(): Promise<number> {
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

/**
 * Sends one inline command and resolves with the reply as received once `complete` says it is
 * whole (by default: at its first line end, enough for a status or integer reply). Rejects on a
 * connection error, a close before that, or 2 s without data.
 */
export function redisCommand(
  port: number,
  command: string,
  host = '127.0.0.1',
  complete: (reply: string) => boolean = (reply) => reply.includes('\r\n'),
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket()
    let reply = ''
    socket.setTimeout(2000, () => socket.destroy(new Error(`redis ${port}: no reply to ${command}`)))
    socket.once('error', reject)
    // A peer that accepts and closes without a whole reply (a server shutting down) must not
    // leave this pending: a settled promise ignores the later reject.
    socket.once('close', () => reject(new Error(`redis ${port}: closed before replying to ${command}`)))
    socket.connect(port, host, () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8')
      if (complete(reply)) {
        socket.end()
        resolve(reply)
      }
    })
  })
}

/**
 * Whether the server on `port` answers and is the one working in `dir`: a port handed out
 * twice (another test's server took it between `freePort` and the bind, or between a stop and
 * a restart) answers too, and must not pass for ours.
 */
const oursAnswers = (port: number, dir: string): Promise<boolean> =>
  redisCommand(port, 'CONFIG GET dir', '127.0.0.1', (reply) => reply.split('\r\n').length > 5).then(
    (reply) => reply.includes(`\r\n${dir}\r\n`),
    () => false,
  )

/**
 * Starts `redis-server` on a free loopback port, persisting nothing, in a temporary directory of
 * its own; resolves once it answers (and is the server working in that directory), rejects when
 * it exits first (with its exit code or signal) or does not answer within `timeoutMs`, leaving
 * nothing behind.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'brisk-redis-'))
  // Redis reports its directory as getcwd() gives it: symlinks resolved.
  const realDir = realpathSync(dir)
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
    ...(options.flags ?? []),
  ]
  const pin = options.core === undefined ? [] : ['taskset', '-c', String(options.core)]
  const tie = (options.dieWithParent ?? true) && pdeathsigWorks() ? ['setpriv', '--pdeathsig', 'KILL'] : []
  const [command, ...args] = [...tie, ...pin, 'redis-server', ...flags] as [string, ...string[]]
  let child: ChildProcess | undefined
  let stopping: Promise<void> | undefined

  const stop = (): Promise<void> => {
    const running = child
    child = undefined
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      stopping = new Promise<void>((resolve) => {
        running.once('exit', () => resolve())
        running.kill('SIGTERM')
        const timer = setTimeout(() => running.kill('SIGKILL'), 3000)
        running.once('exit', () => clearTimeout(timer))
      })
    }
    // A second call while the first waits for the exit waits for the same exit.
    return stopping ?? Promise.resolve()
  }

  const launch = async (): Promise<void> => {
    await stop()
    const started = spawn(command, args, { stdio: 'ignore' })
    child = started
    started.once('error', () => {})
    const deadline = Date.now() + timeoutMs
    while (!(await oursAnswers(port, realDir))) {
      if (started.exitCode !== null || started.signalCode !== null) {
        child = undefined
        const how = started.signalCode ?? `code ${started.exitCode}`
        throw new Error(`redis-server on port ${port} exited (${how}) before answering`)
      }
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const dispose = async (): Promise<void> => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    await launch()
  } catch (error) {
    await dispose()
    throw error
  }
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child?.pid
    },
    stop,
    restart: launch,
    dispose,
  }
}
