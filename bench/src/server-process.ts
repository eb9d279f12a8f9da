/**
 * A benchmark server in its own process (the harness pins it to core 0): builds the app a spec
 * describes, listens on 127.0.0.1 only, answers stats, and exits when told or when the harness
 * goes away, so no server outlives a run.
 */
import { createServer, type Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { defaultMetrics } from '@brisk/core'
import type { Built } from './brisk-layers.js'
import { buildServer } from './build-server.js'
import { cpuSample } from './cpu.js'
import type { ServerCommand, ServerReply, ServerStats } from './protocol.js'
import type { RequestListener } from 'node:http'

let server: Server | undefined
let built: Built<RequestListener> | undefined

function send(reply: ServerReply): void {
  process.send?.(reply)
}

/**
 * Memory after a full GC, a pause and another full GC: V8 frees dead ArrayBuffers' memory and
 * unmaps freed pages on background threads after the collection, so a reading taken right after
 * one gc() still counts garbage (measured: 70 MB of dead page bodies still in `arrayBuffers`
 * just after gc(), 0 after 200 ms).
 */
async function stats(): Promise<ServerStats> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) {
    gc()
    await sleep(250)
    gc()
  }
  const memory = process.memoryUsage()
  return {
    rss: memory.rss,
    heapTotal: memory.heapTotal,
    heapUsed: memory.heapUsed,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    counters: { ...defaultMetrics.snapshot() },
    gauges: built?.stats?.() ?? {},
  }
}

async function stop(): Promise<void> {
  if (server !== undefined) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server!.close(() => resolve()))
  }
  await built?.close().catch(() => {})
  process.exit(0)
}

process.on('message', (command: ServerCommand) => {
  if (command.type === 'start') {
    buildServer(command.spec).then(
      (app) => {
        built = app
        server = createServer({ keepAliveTimeout: 60_000 }, app.value)
        server.listen(0, '127.0.0.1', () => {
          const address = server!.address()
          void stats().then((measured) =>
            send({
              type: 'listening',
              port: typeof address === 'object' && address ? address.port : 0,
              stats: measured,
            }),
          )
        })
      },
      (error: unknown) =>
        send({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    )
  } else if (command.type === 'stats') {
    void stats().then((measured) => send({ type: 'stats', stats: measured }))
  } else if (command.type === 'cpu') {
    send({ type: 'cpu', sample: cpuSample() })
  } else {
    void stop()
  }
})
process.on('disconnect', () => void stop())
