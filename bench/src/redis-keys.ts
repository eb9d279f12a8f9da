import { Redis } from 'ioredis'

/** The shared Redis server (other engineers use it too: only ever delete our own prefix). */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
}

/** Deletes every key under `prefix` with SCAN + UNLINK, never FLUSHDB; returns how many went. */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  if (!/^brisk-bench:[\w-]+:/.test(prefix))
    throw new Error(`refusing to delete keys outside brisk-bench: ${prefix}`)
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await client.connect()
  let deleted = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) deleted += await client.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
  return deleted
}

/** Whether the Redis server answers; scenarios that need it are skipped (and say so) when it does not. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 })
  // The rejected connect() says it all; without a listener ioredis would also log the error.
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}
