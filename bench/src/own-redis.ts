/**
 * A redis-server of the run's own, pinned to the load generator's core. The machine's Redis runs
 * wherever the scheduler puts it, often on the server's core: there every command it answers
 * takes CPU from the server being measured (the Koa Redis limiter's server got 87 % of its core),
 * and a Redis variant's req/s then counts Redis's work as the middleware's. On autocannon's core
 * it costs only load-generator headroom, which the Redis variants (server-bound at a fraction of
 * autocannon's rate) leave plenty of.
 */
import { startRedisServer } from '../../scripts/redis-server.js'

export { redisServerInstalled } from '../../scripts/redis-server.js'

export interface OwnRedis {
  url: string
  /** The redis-server's process id (setpriv and taskset exec it, so it keeps theirs). */
  pid: number | undefined
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>
}

/**
 * Starts the run's redis-server on a free loopback port, persisting nothing, pinned to `core`
 * when given, and killed with the harness however the harness dies (where setpriv can), so a
 * run never leaves one behind. Rejects when it exits first or does not answer in `timeoutMs`.
 */
export async function startOwnRedis(
  core: number | undefined,
  options: { timeoutMs?: number; extraFlags?: readonly string[] } = {},
): Promise<OwnRedis> {
  const server = await startRedisServer({
    core,
    dieWithParent: true,
    timeoutMs: options.timeoutMs,
    flags: options.extraFlags,
  })
  return { url: server.url, pid: server.pid, stop: server.dispose }
}
