import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { pdeathsigWorks, redisServerInstalled, startOwnRedis } from '../../bench/src/own-redis.js'
import { tasksetWorks } from '../../bench/src/child.js'

// The bench's own Redis: a real redis-server, started and stopped by the harness, kept off the
// server's core. CI installs redis-server, so there this runs; elsewhere it says why it skips.
const installed = redisServerInstalled()
if (!installed && process.env.CI !== undefined) throw new Error('redis-server is not installed')

describe.skipIf(!installed)('startOwnRedis (bench)', () => {
  it('starts a redis-server that answers, pinned to the core asked for, and stops it', async () => {
    // Core 1 only where there is one (the bench pins Redis beside autocannon, on core 1).
    const pin = tasksetWorks() && availableParallelism() >= 2
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

  it('rejects at once, saying so, when the server exits before answering, and leaves nothing behind', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('brisk-bench-redis-')))
    await expect(startOwnRedis(undefined, { extraFlags: ['--no-such-directive', 'x'] })).rejects.toThrow(
      /exited \(code 1\) before answering/,
    )
    const left = readdirSync(tmpdir()).filter(
      (name) => name.startsWith('brisk-bench-redis-') && !before.has(name),
    )
    expect(left).toEqual([])
  })

  it.skipIf(!pdeathsigWorks())('is killed with the harness, however the harness dies', async () => {
    const ownRedis = fileURLToPath(new URL('../../bench/src/own-redis.ts', import.meta.url))
    const harness = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startOwnRedis } = await import(${JSON.stringify(ownRedis)}); ` +
          'const own = await startOwnRedis(undefined); console.log(own.pid); setInterval(() => {}, 1000)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const pid = await new Promise<number>((resolve, reject) => {
      harness.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
      harness.once('exit', (code) => reject(new Error(`harness exited (${code}) before starting Redis`)))
    })
    expect(alive(pid)).toBe(true)
    const exited = new Promise((resolve) => harness.once('exit', resolve))
    harness.kill('SIGKILL')
    await exited
    // The kernel delivers the death signal as the parent exits; the server is gone moments later.
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(alive(pid)).toBe(false)
  })
})

/** Whether `pid` runs: a zombie (killed, not yet reaped by whoever adopted it) does not. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}
