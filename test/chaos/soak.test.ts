/**
 * A soak: SOAK_SECONDS (default 60) of mixed traffic — hits, misses on ever-new URLs, purges,
 * compression, refusals, streamed bodies — against one server process (soak-server.ts), with
 * its RSS, heap, file descriptors, listeners, the cache's accounted bytes and event-loop delay
 * sampled every second. Asserted: after a warm-up (the first third), RSS grows less than
 * RSS_GROWTH_BOUND between the middle and the last third, the store stays within its bytes,
 * and once the load stops no file descriptors or listeners are left over. Event-loop delay is
 * printed, not asserted (timings on a shared machine prove nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SERVER = fileURLToPath(new URL('./soak-server.ts', import.meta.url))
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? '60')
/** RSS of the last third may exceed the middle third's by at most this fraction. */
const RSS_GROWTH_BOUND = 0.2
const STORE_BYTES = 8 * 1024 * 1024

interface Sample {
  rss: number
  heapUsed: number
  fds: number
  serverListeners: number
  processListeners: number
  storeBytes: number
  storeEntries: number
  delayP99Ms: number
  delayMaxMs: number
}

describe('a soak of mixed traffic against one server process', () => {
  let child: ChildProcess
  let lines: Interface
  let port: number
  const queue: ((line: string) => void)[] = []

  const sample = (): Promise<Sample> =>
    new Promise((resolve) => {
      queue.push((line) => resolve(JSON.parse(line) as Sample))
      child.stdin?.write('sample\n')
    })

  beforeAll(async () => {
    child = spawn(process.execPath, ['--conditions=brisk-source', '--import', 'tsx', SERVER], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    lines = createInterface({ input: child.stdout! })
    port = await new Promise<number>((resolve, reject) => {
      lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port))
      child.once('exit', (code) => reject(new Error(`soak server exited with ${code}`)))
    })
    lines.on('line', (line) => queue.shift()?.(line))
  })

  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.stdin?.end()
    await exited
  })

  it(`keeps memory flat and leaks nothing over ${SOAK_SECONDS} s`, async () => {
    const idle = await sample()
    let counter = 0
    const samples: Sample[] = []
    const sampler = setInterval(() => {
      void sample().then((s) => samples.push(s))
    }, 1000)
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 6,
      duration: SOAK_SECONDS,
      headers: { 'accept-encoding': 'gzip, br' },
      requests: [
        { method: 'GET', setupRequest: (req) => ({ ...req, path: `/page/${counter++ % 200}` }) },
        { method: 'GET', setupRequest: (req) => ({ ...req, path: `/page/${counter++ % 200}` }) },
        {
          method: 'GET',
          setupRequest: (req) => ({
            ...req,
            path: `/page/${counter++ % 200}`,
            headers: { ...req.headers, 'if-none-match': 'W/"x"' },
          }),
        },
        { method: 'GET', setupRequest: (req) => ({ ...req, path: `/fresh?n=${counter++}` }) },
        { method: 'GET', setupRequest: (req) => ({ ...req, path: `/limited?c=${counter++ % 500}` }) },
        { method: 'GET', path: '/stream' },
        {
          method: 'GET',
          setupRequest: (req) =>
            counter++ % 50 === 0 ? { ...req, path: '/purge' } : { ...req, path: '/page/1' },
        },
      ],
    })
    clearInterval(sampler)
    await new Promise((resolve) => setTimeout(resolve, 1500)) // let keep-alive sockets close
    const rest = await sample()

    const third = Math.floor(samples.length / 3)
    const mean = (list: Sample[], pick: (s: Sample) => number) =>
      list.reduce((sum, s) => sum + pick(s), 0) / list.length
    const middle = samples.slice(third, 2 * third)
    const last = samples.slice(2 * third)
    const rssMiddle = mean(middle, (s) => s.rss)
    const rssLast = mean(last, (s) => s.rss)
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
    console.log(
      `[chaos] soak ${SOAK_SECONDS} s: ${result.requests.total} requests (2xx ${result['2xx']}, non-2xx ${result.non2xx}, errors ${result.errors}), ` +
        `RSS idle ${mb(idle.rss)}, middle third ${mb(rssMiddle)}, last third ${mb(rssLast)} (${(((rssLast - rssMiddle) / rssMiddle) * 100).toFixed(1)}%), ` +
        `heap last third ${mb(mean(last, (s) => s.heapUsed))}, store max ${mb(Math.max(...samples.map((s) => s.storeBytes)))}, ` +
        `fds idle/peak/after ${idle.fds}/${Math.max(...samples.map((s) => s.fds))}/${rest.fds}, ` +
        `listeners server ${idle.serverListeners}->${rest.serverListeners} process ${idle.processListeners}->${rest.processListeners}, ` +
        `event-loop delay p99 max ${Math.max(...samples.map((s) => s.delayP99Ms)).toFixed(1)} ms, max ${Math.max(...samples.map((s) => s.delayMaxMs)).toFixed(1)} ms`,
    )

    expect(result.errors).toBe(0)
    expect(result.requests.total).toBeGreaterThan(0)
    // Only the limiter's refusals are non-2xx here (304s count as non-2xx in autocannon).
    const refused = Object.entries(result.statusCodeStats ?? {}).filter(
      ([code]) => !['200', '304', '429'].includes(code),
    )
    expect(refused).toEqual([])
    expect(samples.length).toBeGreaterThanOrEqual(6)
    expect(rssLast).toBeLessThan(rssMiddle * (1 + RSS_GROWTH_BOUND))
    for (const s of samples) expect(s.storeBytes).toBeLessThanOrEqual(STORE_BYTES)
    expect(rest.fds).toBeLessThanOrEqual(idle.fds)
    expect(rest.serverListeners).toBe(idle.serverListeners)
    expect(rest.processListeners).toBe(idle.processListeners)
  })
})
