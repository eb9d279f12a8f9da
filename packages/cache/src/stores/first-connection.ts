import type { RedisClient } from './redis-scripts.js'

// How long commands sent before a client's first connection is ready wait for it. A Cluster
// client discovers its slots and connects to every master first, which takes longer than a
// command timeout on a busy machine; a Redis that is down at start-up costs this wait once.
export const FIRST_CONNECTION_WAIT_MS = 1000

const NOW = Promise.resolve()

/**
 * A gate for commands sent before `client` has ever been ready: `ready()` is true once the
 * client was ready once (or the wait ran out); until then `wait()` resolves at the first
 * `ready` event or after `maxWait` ms, whichever comes first. The command timeout measures a
 * backend that answers slowly, not a connection still being set up: without this, the first
 * requests after start-up bypass the cache (and five of them open the circuit).
 */
export function firstConnection(
  client: RedisClient,
  maxWait = FIRST_CONNECTION_WAIT_MS,
): { ready(): boolean; wait(): Promise<void> } {
  let done = false
  let waiting: Promise<void> | undefined
  const ready = (): boolean => done || (done = client.status === 'ready')
  return {
    ready,
    wait() {
      if (ready()) return NOW
      waiting ??= new Promise<void>((resolve) => {
        const finish = (): void => {
          done = true
          clearTimeout(timer)
          client.off('ready', finish)
          resolve()
        }
        const timer = setTimeout(finish, maxWait)
        timer.unref?.()
        client.on('ready', finish)
        // A lazyConnect client connects at its first command; this wait is that command's.
        if (client.status === 'wait') client.connect().catch(() => {})
      })
      return waiting
    },
  }
}
