// Real sockets: a slow client, server-sent events and a client that leaves, each run twice:
// through core's request/response plumbing with the body handed over as a BriskResponse, and
// through the @brisk/node adapter with a plain listener writing to the Node response (captured).
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, pipeline, Readable, type Transform } from 'node:stream'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  BriskMetrics,
  createBriskRequest,
  writeResponse,
  type BriskHeaders,
  type BriskMiddleware,
} from '@brisk/core'
import { withBrisk } from '@brisk/node'
import { compress } from './compress.js'

// Every compressor the middleware creates, so a test can see that it was destroyed.
const encoders = vi.hoisted(() => [] as Transform[])
vi.mock('node:zlib', async (importOriginal) => {
  const actual = await importOriginal<typeof zlib>()
  const track =
    <A extends unknown[]>(create: (...args: A) => Transform) =>
    (...args: A): Transform => {
      const encoder = create(...args)
      encoders.push(encoder)
      return encoder
    }
  const patched = {
    ...actual,
    createGzip: track(actual.createGzip),
    createBrotliCompress: track(actual.createBrotliCompress),
  }
  return { ...patched, default: patched }
})

const servers: http.Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
  encoders.length = 0
})

type Serve = (middleware: BriskMiddleware, headers: BriskHeaders, source: Readable) => Promise<number>

async function listen(server: http.Server): Promise<number> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

/** The app's answer handed to the middleware as a BriskResponse, written back by core. */
const viaCore: Serve = (middleware, headers, source) =>
  listen(
    http.createServer((raw, res) => {
      const req = createBriskRequest(raw, res, { clientAddress: raw.socket.remoteAddress ?? '' })
      void middleware(req, async () => ({ status: 200, headers, body: source })).then((response) =>
        writeResponse(res, response),
      )
    }),
  )

/** A plain listener streaming into the Node response, wrapped by the @brisk/node adapter. */
const viaNodeAdapter: Serve = (middleware, headers, source) =>
  listen(
    http.createServer(
      withBrisk(middleware, (_req, res) => {
        res.writeHead(200, headers as http.OutgoingHttpHeaders)
        pipeline(source, res, () => {})
      }),
    ),
  )

async function get(port: number, acceptEncoding: string): Promise<http.IncomingMessage> {
  const request = http.get({
    host: '127.0.0.1',
    port,
    path: '/',
    headers: { 'accept-encoding': acceptEncoding },
  })
  const [response] = (await once(request, 'response')) as [http.IncomingMessage]
  return response
}

describe.each([
  ['core plumbing', viaCore],
  ['the @brisk/node adapter', viaNodeAdapter],
] as const)('compress over a real socket, through %s', (_name, serve) => {
  it.each([
    ['gzip', () => zlib.createGunzip()],
    ['br', () => zlib.createBrotliDecompress()],
  ] as const)(
    'delivers %s-compressed server-sent events one by one while the stream is open',
    async (coding, decoder) => {
      const events = new PassThrough()
      const port = await serve(
        compress({ metrics: new BriskMetrics() }),
        { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        events,
      )
      const response = await get(port, coding)
      expect(response.headers['content-encoding']).toBe(coding)
      const decoded = response.pipe(decoder())
      for (let i = 1; i <= 5; i++) {
        const event = `id: ${i}\ndata: {"post":${i},"title":"event number ${i}"}\n\n`
        events.write(event)
        // The next event is written only after this one arrived: without a flush per write this waits forever.
        const [chunk] = (await once(decoded, 'data')) as [Buffer]
        expect(chunk.toString()).toBe(event)
      }
      events.end()
      await once(decoded, 'end')
    },
  )

  it('holds back the source while a slow client reads nothing, then delivers every byte', async () => {
    // 64 KB of random bytes repeated: gzip's 32 KB window cannot see the repetition, so the
    // compressed stream is as large as the input and socket buffers fill as they would for real.
    const block = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 24))
    const total = 48 * 1024 * 1024
    let produced = 0
    const expected = createHash('sha256')
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null)
        produced += block.length
        expected.update(block)
        this.push(block)
      },
    })
    const port = await serve(
      compress({ metrics: new BriskMetrics(), level: { gzip: 1 } }),
      { 'content-type': 'application/octet-stream' },
      source,
    )
    const response = await get(port, 'gzip')
    response.pause()
    // Wait until production stops (back-pressure reached the source); bounded by the test timeout.
    let last = -1
    let steady = 0
    while (steady < 4) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      steady = produced === last ? steady + 1 : 0
      last = produced
    }
    expect(produced).toBeLessThan(total / 2)

    const actual = createHash('sha256')
    let received = 0
    const decoded = response.pipe(zlib.createGunzip())
    decoded.on('data', (chunk: Buffer) => {
      received += chunk.length
      actual.update(chunk)
    })
    await once(decoded, 'end')
    expect(received).toBe(total)
    expect(actual.digest('hex')).toBe(expected.digest('hex'))
  })

  it('destroys the compressor and the source at once when the client disconnects', async () => {
    const line = Buffer.from('<li>an endless page of items</li>\n'.repeat(64))
    const source = new Readable({
      read() {
        this.push(line)
      },
    })
    const port = await serve(
      compress({ metrics: new BriskMetrics() }),
      { 'content-type': 'text/html' },
      source,
    )
    const errors: unknown[] = []
    const onError = (error: unknown): number => errors.push(error)
    process.on('uncaughtException', onError)
    process.on('unhandledRejection', onError)
    const response = await get(port, 'gzip')
    await once(response, 'data')
    response.destroy()

    expect(encoders).toHaveLength(1)
    const encoder = encoders[0]!
    if (!encoder.destroyed) await once(encoder, 'close')
    // zlib frees its native state when destroyed; the handle is gone.
    expect((encoder as unknown as { _handle: unknown })._handle).toBeNull()
    if (!source.destroyed) await once(source, 'close')
    expect(source.destroyed).toBe(true)
    process.off('uncaughtException', onError)
    process.off('unhandledRejection', onError)
    expect(errors).toEqual([])
  })
})
