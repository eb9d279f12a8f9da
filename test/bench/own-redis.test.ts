import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { redisServerInstalled, startOwnRedis } from '../../bench/src/own-redis.js'
import { tasksetWorks } from '../../bench/src/child.js'

// The bench's own Redis: a real redis-server, started and stopped by the harness, kept off the
// server's core. The launcher itself (restart, death with its parent, no leftovers) is tested in
// scripts/redis-server.test.ts. CI installs redis-server, so there this runs; elsewhere it says
// why it skips.
const installed = redisServerInstalled()
if (!installed && process.env.CI !== undefined) throw new Error('redis-server is not installed')

describe.skipIf(!installed)('startOwnRedis (bench)', () => {
  it('starts a redis-server that answers, pinned to the core asked for; stop removes it and its directory', async () => {
    // Core 1 only where there is one (the bench pins Redis beside autocannon, on core 1).
    const pin = tasksetWorks() && availableParallelism() >= 2
    const own = await startOwnRedis(pin ? 1 : undefined)
    const client = new Redis(own.url, { maxRetriesPerRequest: 1 })
    let dir = ''
    try {
      dir = readlinkSync(`/proc/${own.pid}/cwd`)
      expect(await client.ping()).toBe('PONG')
      if (pin) {
        const status = readFileSync(`/proc/${own.pid}/status`, 'utf8')
        expect(status).toMatch(/^Cpus_allowed_list:\s*1$/m)
      }
    } finally {
      client.disconnect()
      await own.stop()
    }
    expect(dir).not.toBe('')
    expect(existsSync(dir)).toBe(false)
    const gone = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    gone.on('error', () => {})
    await expect(gone.connect()).rejects.toThrow()
    gone.disconnect()
  })

  it('rejects with the reason the run reports when the server exits before answering', async () => {
    await expect(startOwnRedis(undefined, { extraFlags: ['--no-such-directive', 'x'] })).rejects.toThrow(
      /^redis-server on port \d+ exited \(code 1\) before answering$/,
    )
  })
})
