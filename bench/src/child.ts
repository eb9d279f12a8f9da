import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Whether `taskset` can pin a process here (Linux with util-linux); otherwise nothing is pinned. */
export function tasksetWorks(): boolean {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
  return probe.status === 0
}

/**
 * Starts a TypeScript entry of this folder in a child process with an IPC channel, pinned to
 * `core` when taskset works. brisk's packages load from their builds (`dist`, what users
 * install; `npm run bench` builds them first), not from their sources through tsx: tsx keeps
 * function names with a helper call on every closure created, which brisk creates per request
 * and the peers (plain JavaScript) never pay.
 */
export function startChild(
  entry: string,
  core: number | undefined,
  extraNodeArgs: readonly string[] = [],
): ChildProcess {
  const script = fileURLToPath(new URL(entry, import.meta.url))
  const nodeArgs = ['--import', 'tsx', ...extraNodeArgs, script]
  const [command, args] =
    core === undefined
      ? [process.execPath, nodeArgs]
      : ['taskset', ['-c', String(core), process.execPath, ...nodeArgs]]
  // Servers run as in production (Express and Koa skip development-only work) unless told otherwise.
  const env = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production' }
  return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env })
}

/** Sends `message` and waits for the first reply `accept` takes, failing on exit or after `timeoutMs`. */
export function ask<R>(
  child: ChildProcess,
  message: object,
  accept: (reply: R) => boolean,
  timeoutMs: number,
): Promise<R> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: R): void => {
      if (!accept(reply)) return
      cleanup()
      resolve(reply)
    }
    const onExit = (code: number | null): void => {
      cleanup()
      reject(new Error(`child exited (${code}) before answering ${JSON.stringify(message).slice(0, 120)}`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(message).slice(0, 120)}`))
    }, timeoutMs)
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
    // With a callback a closed channel (a child stopped meanwhile, as on Ctrl-C) rejects this
    // ask; without one Node emits it as an 'error' nobody listens to, and the harness crashes
    // before it has stopped what it started.
    child.send(message, (error) => {
      if (error === null) return
      cleanup()
      reject(error)
    })
  })
}

/** Asks a child to stop, and kills it if it has not exited within `graceMs`. */
export async function stopChild(
  child: ChildProcess,
  stopMessage: object | undefined,
  graceMs = 5000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (stopMessage !== undefined && child.connected) child.send(stopMessage)
  else child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
