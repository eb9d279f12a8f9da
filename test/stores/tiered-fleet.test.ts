import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  memoryStore,
  redisStore,
  tieredStore,
  type TieredStore,
} from '../../packages/cache/src/stores/index.js'
import { REDIS_URL, sharedRedisAvailable } from '../support/redis-server.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())
const worker = fileURLToPath(new URL('./tiered-fleet-worker.ts', import.meta.url))

/** A fleet instance in another process, driven line by line. */
class Instance {
  private readonly lines: AsyncIterator<string>
  constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  }
  /** The next message the process writes. */
  async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next()
    if (done === true) throw new Error('worker exited')
    return JSON.parse(value) as Record<string, unknown>
  }
  async ask(command: object): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`)
    return this.next()
  }
  async quit(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.stdin.end(`${JSON.stringify({ quit: true })}\n`)
    await exited
  }
}

describe.runIf(runRedis)('tiered stores in separate processes', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  let client: Redis
  let local: TieredStore
  let remote: Instance

  beforeAll(async () => {
    client = new Redis(REDIS_URL)
    local = tieredStore({
      l1: memoryStore(),
      l2: redisStore({ client, prefix, timeout: '2s', logger: false }),
      logger: false,
    })
    await local.ready()
    const child = spawn(process.execPath, ['--conditions=brisk-source', '--import', 'tsx', worker, prefix], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, REDIS_URL },
    })
    remote = new Instance(child)
    expect(await remote.next()).toEqual({ ready: true })
  })

  afterAll(async () => {
    await remote?.quit()
    await local?.close?.()
    await redisStore({ client, prefix }).clear()
    await client?.quit()
  })

  it("purges another process's L1 copy by tag", async () => {
    await local.set(
      '/posts/1',
      { meta: {}, body: Buffer.from('first version') },
      { ttl: 60_000, tags: ['post:1'] },
    )
    // The write's own invalidation reaches the other process first; wait for it.
    expect(await remote.next()).toEqual({ invalidation: { kind: 'delete', key: '/posts/1' } })
    expect(await remote.ask({ get: '/posts/1' })).toEqual({ body: 'first version' })
    expect(await remote.ask({ l1: '/posts/1' })).toEqual({ l1: true })

    await local.deleteByTag('post:1')
    expect(await remote.next()).toEqual({ invalidation: { kind: 'tag', tag: 'post:1' } })
    expect(await remote.ask({ l1: '/posts/1' })).toEqual({ l1: false })
    expect(await remote.ask({ get: '/posts/1' })).toEqual({ body: null })
  })
})
