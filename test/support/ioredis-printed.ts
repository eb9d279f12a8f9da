import { Redis } from 'ioredis'
import { vi } from 'vitest'
import { freePort } from './redis-server.js'

/**
 * What ioredis prints to the console while a client given to `createStore` fails to reach a
 * Redis that is not there, through three reconnect attempts: its "[ioredis] Unhandled error
 * event" lines, which a store must keep quiet (its guard logs an outage once).
 */
export async function ioredisPrintsWhileDown(createStore: (client: Redis) => unknown): Promise<unknown[][]> {
  const printed = vi.spyOn(console, 'error').mockImplementation(() => {})
  const client = new Redis({ host: '127.0.0.1', port: await freePort(), retryStrategy: () => 10 })
  try {
    createStore(client)
    // Not events.once: it listens to 'error' while it waits, which would silence ioredis too.
    await new Promise<void>((resolve) => {
      let attempts = 0
      client.on('reconnecting', () => {
        if (++attempts === 3) resolve()
      })
    })
    return printed.mock.calls.filter(([first]) => String(first).includes('[ioredis]'))
  } finally {
    client.disconnect()
    printed.mockRestore()
  }
}
