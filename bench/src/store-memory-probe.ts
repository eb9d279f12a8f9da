/**
 * What a memory store really costs per entry, measured outside any server:
 *
 *   node --expose-gc --conditions=brisk-source --import tsx bench/src/store-memory-probe.ts
 *
 * `fill` puts N entries of a given body size into a store large enough to keep them all
 * (public API only, entries shaped as the response cache writes them: body bytes from
 * Buffer.from(string), a response meta with headers), then compares the memory the process
 * gained (after a full GC and a pause, so that freed backing stores are really freed) with what
 * the store accounts. `churn` writes many distinct pages through a bounded store, as the
 * scale-koa3 scenario does at 100k URLs, and reads RSS the same way.
 */
import { memoryStore } from '@brisk/cache'
import type { StoreEntry } from '@brisk/cache'
import { setTimeout as sleep } from 'node:timers/promises'
import { renderFrontPage, frontPagePosts } from './page.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

interface Memory {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
  heapTotal: number
}

/** Memory after two full GCs with a pause between them (V8 frees backing stores and pages in the background). */
async function settled(): Promise<Memory> {
  gc!()
  await sleep(200)
  gc!()
  await sleep(50)
  const m = process.memoryUsage()
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    heapTotal: m.heapTotal,
  }
}

function meta(now: number): Record<string, unknown> {
  return {
    kind: 'response',
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      etag: `"${now.toString(36)}-abcdefghijklmnopqrstu"`,
      vary: 'accept-encoding',
    },
    storedAt: now,
    lifetime: 600_000,
    initialAge: 0,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    mustRevalidate: false,
    shared: false,
    tags: [],
  }
}

function bodyOf(size: number, seed: number): string {
  // A fresh string per entry, as a page rendered per request is.
  const unit = `<p>${seed.toString(36)} lorem ipsum dolor sit amet</p>`
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
}

const perEntry = (bytes: number, n: number): string => (bytes / n).toFixed(0).padStart(7)

/** Short-lived small Buffers a server makes beside each stored body (they share Node's 8 KB pool). */
const garbage: Buffer[] = []

/** The data cache's meta (created, expires, grace end, serializer). */
function dataMeta(now: number): Record<string, unknown> {
  return { c: now, e: now + 60_000, g: now + 60_000, f: 'json' }
}

/**
 * Fills a store with `n` entries and reports the marginal cost per entry over the second half
 * (the first half grows V8's young generation and the malloc arenas to their working size, a
 * one-off the per-entry figure must not carry).
 */
async function fill(n: number, size: number, mixed: boolean, data: boolean, tagged: boolean): Promise<void> {
  const store = memoryStore({ maxSize: '4 GB', maxEntrySize: '1 MB' })
  const put = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      if (mixed) for (let j = 0; j < 4; j++) garbage[j] = Buffer.from(`garbage ${i} ${j} `.repeat(20))
      const now = Date.now() + i
      const entry: StoreEntry = { meta: data ? dataMeta(now) : meta(now), body: Buffer.from(bodyOf(size, i)) }
      // Tagged: one tag shared by every entry and one of its own, as a page tagged with its post.
      const tags = tagged ? ['posts', `post:${i}`] : undefined
      await store.set(data ? `data:user:${i}` : `GET /?k=${i}`, entry, { ttl: 600_000, tags })
    }
  }
  const half = n >> 1
  await put(0, half)
  const before = await settled()
  const accountedBefore = store.size
  await put(half, n)
  const after = await settled()
  const count = n - half
  const accounted = store.size - accountedBefore
  console.log(
    `fill ${data ? 'data' : 'page'}${mixed ? '+garbage' : ''}${tagged ? '+tags' : ''}  N=${String(n).padStart(6)} body=${String(size).padStart(6)} B | per entry: ` +
      `accounted ${perEntry(accounted, count)}  rss ${perEntry(after.rss - before.rss, count)}  ` +
      `heap ${perEntry(after.heapUsed - before.heapUsed, count)}  external ${perEntry(after.external - before.external, count)}  ` +
      `arrayBuffers ${perEntry(after.arrayBuffers - before.arrayBuffers, count)}  heapTotal ${perEntry(after.heapTotal - before.heapTotal, count)} | ` +
      `rss/accounted ${((after.rss - before.rss) / accounted).toFixed(2)}`,
  )
  await store.clear()
}

async function churn(writes: number, bound: string, render: boolean): Promise<void> {
  const store = memoryStore({ maxSize: bound })
  const posts = frontPagePosts()
  const page = Buffer.from(renderFrontPage(posts))
  const before = await settled()
  for (let i = 0; i < writes; i++) {
    const body = render ? Buffer.from(renderFrontPage(posts)) : Buffer.from(page)
    await store.set(`GET /?k=${i}`, { meta: meta(Date.now()), body }, { ttl: 600_000 })
  }
  const after = await settled()
  const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`
  console.log(
    `churn writes=${String(writes).padStart(6)} bound=${bound} render=${render} | entries ${store.entries}, ` +
      `accounted ${mb(store.size)}; rss +${mb(after.rss - before.rss)} (${((after.rss - before.rss) / store.size).toFixed(2)}× accounted), ` +
      `heap +${mb(after.heapUsed - before.heapUsed)}, external +${mb(after.external - before.external)}, ` +
      `arrayBuffers +${mb(after.arrayBuffers - before.arrayBuffers)}, heapTotal +${mb(after.heapTotal - before.heapTotal)}`,
  )
  await store.clear()
}

const [mode = 'fill', ...rest] = process.argv.slice(2)
if (mode === 'fill') {
  const n = Number(rest[0] ?? 10_000)
  const size = Number(rest[1] ?? 1000)
  await fill(n, size, rest.includes('mixed'), rest.includes('data'), rest.includes('tags'))
} else if (mode === 'churn') {
  await churn(Number(rest[0] ?? 100_000), rest[1] ?? '64 MB', rest[2] !== 'copy')
} else {
  throw new Error(
    `unknown mode ${mode}: fill <n> <bytes> [mixed] [data] [tags] | churn <writes> <bound> [render|copy]`,
  )
}
