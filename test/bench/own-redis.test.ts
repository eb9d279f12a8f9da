import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { redisServerInstalled, startOwnRedis } from '../../bench/src/own-redis.js'
import { tasksetWorks } from '../../bench/src/child.js'

// The bench's own Redis: a real redis-server, started and stopped by the harness, kept off the
// server's core. CI installs redis-server, so there this runs; elsewhere it says why it skips.
const installed = redisServerInstalled()
if (!installed && process.env.CI !== undefined) throw new Error('redis-server is not installed')

describe.skipIf(!installed)('startOwnRedis (bench)', () => {
  it('starts a redis-server that answers, pinned to the core asked for, and stops it', async () => {
    const pin = tasksetWorks()
    const own = await startOwnRedis(pin ? 1 : undefined)
    const client = new Redis(own.url, { maxRetriesPerRequest: 1 })
    try {
      expect(await client.ping()).toBe('PONG')
      if (pin) {
        const status = readFileSync(`/proc/${own.pid}/status`, 'utf8')
        expect(status).toMatch(/^Cpus_allowed_list:\s*1$/m)
      }
    } finally {
      client.disconnect()
      await own.stop()
    }
    const gone = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    gone.on('error', () => {})
    await expect(gone.connect()).rejects.toThrow()
    gone.disconnect()
  })
})
