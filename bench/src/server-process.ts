/**
 * A benchmark server in its own process (the harness pins it to core 0): builds the app a spec
 * describes, listens on 127.0.0.1 only, answers stats, and exits when told or when the harness
 * goes away, so no server outlives a run.
 */
import { createServer, type Server } from 'node:http'
import { defaultMetrics } from '@brisk/core'
import type { Built } from './brisk-layers.js'
import { buildServer } from './build-server.js'
import type { ServerCommand, ServerReply, ServerStats } from './protocol.js'
import type { RequestListener } from 'node:http'

let server: Server | undefined
let built: Built<RequestListener> | undefined

function send(reply: ServerReply): void {
  process.send?.(reply)
}

function stats(): ServerStats {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const memory = process.memoryUsage()
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external,
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
          send({
            type: 'listening',
            port: typeof address === 'object' && address ? address.port : 0,
            stats: stats(),
          })
        })
      },
      (error: unknown) =>
        send({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    )
  } else if (command.type === 'stats') {
    send({ type: 'stats', stats: stats() })
  } else {
    void stop()
  }
})
process.on('disconnect', () => void stop())
