/**
 * Stampede protection across processes: two Node processes sharing one Redis compute each key
 * once, through the store's lock.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../packages/cache/src/stores/redis-store.js'
import { REDIS_URL, sharedRedisAvailable } from '../support/redis-server.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())
const worker = fileURLToPath(new URL('./fixtures/stampede-worker.ts', import.meta.url))

function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=brisk-source', '--import', 'tsx', worker], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcessWithoutNullStreams
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout })
  const next = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve)
      child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)))
    })
  return { child, next }
}

describe.runIf(runRedis)('data cache across two processes', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  const client = new Redis(REDIS_URL)
  const children: ChildProcessWithoutNullStreams[] = []

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill()
    // Everything the workers wrote (entries, tag sets, locks, run counters) is under the prefix.
    await redisStore({ client, prefix, timeout: '2s', logger: false }).clear()
    await client.quit()
  })

  it('computes each key once when two processes ask for it at the same moment', async () => {
    const keys = 25
    const env = { REDIS_URL, PREFIX: prefix, KEYS: String(keys), CALLS: '40' }
    const workers = [startWorker(env), startWorker(env)]
    children.push(...workers.map((w) => w.child))
    expect(await Promise.all(workers.map((w) => w.next()))).toEqual(['ready', 'ready'])
    const done = workers.map((w) => w.next())
    for (const w of workers) w.child.stdin.write('go\n')
    expect((await Promise.all(done)).map((line) => JSON.parse(line))).toEqual([{ wrong: 0 }, { wrong: 0 }])
    const runs = await client.mget(Array.from({ length: keys }, (_, k) => `${prefix}runs:${k}`))
    expect(runs).toEqual(Array.from({ length: keys }, () => '1'))
  }, 60_000)
})
