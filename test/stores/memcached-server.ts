/**
 * Starts throwaway memcached processes on free loopback ports for the Memcached store's tests,
 * and stops only what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Socket } from 'node:net'
import { freePort } from '../support/redis-server.js'

export interface MemcachedProcess {
  port: number
  /** `host:port`, as memjs reads a server list. */
  servers: string
  stop(): Promise<void>
  /** Starts it again, empty, on the same port after {@link stop}. */
  restart(): Promise<void>
}

function answersVersion(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    socket.setTimeout(1000, () => socket.destroy())
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
    socket.connect(port, '127.0.0.1', () => socket.write('version\r\n'))
    socket.once('data', (chunk) => {
      resolve(chunk.toString().startsWith('VERSION'))
      socket.end()
    })
  })
}

/** Starts `memcached` on a free loopback port; `args` are extra flags (e.g. `['-I', '2m']`). */
export async function startMemcached(args: string[] = []): Promise<MemcachedProcess> {
  const port = await freePort()
  let child: ChildProcess | undefined

  // memcached refuses to run as root unless told which user to stay (containers, CI).
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : []

  const launch = async (): Promise<void> => {
    child = spawn(
      process.env.MEMCACHED_BIN ?? 'memcached',
      ['-l', '127.0.0.1', '-p', String(port), '-U', '0', ...user, ...args],
      {
        stdio: 'ignore',
      },
    )
    const started = child
    let failed: Error | undefined
    started.once('error', (error) => (failed = error))
    for (let i = 0; i < 200; i++) {
      if (failed !== undefined) throw failed
      if (started.exitCode !== null) throw new Error(`memcached exited with ${started.exitCode}`)
      if (await answersVersion(port)) return
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error(`timed out waiting for memcached on ${port}`)
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
  return { port, servers: `127.0.0.1:${port}`, stop, restart: launch }
}
