/**
 * The server of soak.test.ts, in a process of its own so its RSS, file descriptors and event
 * loop are its own: the full stack (limiter, conditional, cache on a bounded memory store,
 * compress) on node:http. Routes: `/page/<n>` (cacheable, tagged `page`), `/fresh?...` (a miss
 * per distinct query), `/limited?c=<client>` (5 per minute per client), `/purge` (purges tag
 * `page`), `/stream` (a streamed, uncached body). Prints `{"port": n}` once listening, then
 * answers each stdin line with one JSON sample: RSS, heap, fds, listeners, event-loop delay.
 */
import { readdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { cache, memoryStore } from '@brisk/cache'
import { brisk, withBrisk } from '@brisk/node'
import { createStack } from '@brisk/stack'

const store = memoryStore({ maxSize: '8 MB' })
const pages = cache({ store, ttl: '30s', logger: false })
const stack = createStack({
  // Only /limited?c=<client> is limited, keyed by its query: many clients, each 5 a minute.
  rateLimit: {
    limit: 5,
    window: '1m',
    skip: (req) => !req.url.startsWith('/limited'),
    key: (req) => req.url,
  },
  cache: pages,
  logger: false,
})

function render(path: string): string {
  let html = `<!doctype html><title>${path}</title>`
  for (let i = 0; i < 60; i++) html += `<p>paragraph ${i} of ${path} at ${Date.now()}</p>`
  return html
}

const listener = (req: IncomingMessage, res: ServerResponse): void => {
  const url = req.url ?? '/'
  if (url === '/purge') {
    pages.purgeTag('page').then(
      () => res.end('purged'),
      () => res.end('purge failed'),
    )
    return
  }
  if (url === '/stream') {
    res.setHeader('content-type', 'text/plain')
    res.setHeader('cache-control', 'no-store')
    let n = 0
    const tick = (): void => {
      if (n++ === 5) {
        res.end('end\n')
        return
      }
      res.write(`chunk ${n} ${'s'.repeat(2000)}\n`)
      setImmediate(tick)
    }
    tick()
    return
  }
  res.setHeader('content-type', 'text/html; charset=utf-8')
  if (url.startsWith('/page/')) brisk(req).tag('page')
  res.end(render(url))
}

const server = createServer(withBrisk(stack, listener, { logger: false }))
const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})

createInterface({ input: process.stdin })
  .on('line', () => {
    const memory = process.memoryUsage()
    const sample = {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      fds: readdirSync('/proc/self/fd').length,
      serverListeners: server.eventNames().reduce((sum, name) => sum + server.listenerCount(name), 0),
      processListeners: process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0),
      storeBytes: store.size,
      storeEntries: store.entries,
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
    }
    delay.reset()
    process.stdout.write(`${JSON.stringify(sample)}\n`)
  })
  .on('close', () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
