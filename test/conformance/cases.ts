import type { IncomingMessage, ServerResponse } from 'node:http'
import { mkdtempSync, writeFileSync, createReadStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RequestHandler } from 'express'
import type { Middleware } from 'koa'
import { channelFor } from './channel.js'

/** How the client drives a case. */
export type ClientMode = 'full' | 'sse' | 'disconnect' | 'broken'

/** One row of the conformance table: the same behaviour written idiomatically for each framework. */
export interface ConformanceCase {
  name: string
  method?: 'GET' | 'HEAD' | 'POST'
  /** Request body sent by the client (POST). */
  requestBody?: string
  requestHeaders?: Record<string, string>
  /** Default `full`: read the whole response, several times over one keep-alive connection. */
  client?: ClientMode
  /** Repeat count over one connection for the listener-leak check. Default 3; 1 for big bodies. */
  repeat?: number
  node: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>
  express: RequestHandler
  koa: Middleware
  /** What the app itself must send (checked on the reference run, so no case passes vacuously). */
  expect: { status: number; body?: string; bodyLength?: number; header?: Record<string, string> }
}

export const TEXT = 'hello, brisk ✓'
const BYTES = Buffer.from([0, 1, 2, 250, 255])
const JSON_VALUE = { posts: [{ id: 42, title: 'brisk' }], next: null }
export const SSE_EVENTS = 5
export const BIG_CHUNK = 1024 * 1024
export const BIG_CHUNKS = 50

/** 50 MiB, produced chunk by chunk as the consumer asks (each chunk differs, so order matters). */
export function bigStream(): Readable {
  let index = 0
  return new Readable({
    read() {
      if (index === BIG_CHUNKS) return void this.push(null)
      const chunk = Buffer.alloc(BIG_CHUNK, index % 251)
      chunk.writeUInt32BE(index, 0)
      index++
      this.push(chunk)
    },
  })
}

function chunks(): Readable {
  return Readable.from([Buffer.from('first,'), Buffer.from('second,'), Buffer.from('third')])
}

/** A static file, for sendFile and file streams (its bytes repeat a line so it spans chunks). */
export const FILE_TEXT = 'brisk serves files unchanged\n'.repeat(4096)
const FILE_PATH = join(mkdtempSync(join(tmpdir(), 'brisk-conformance-')), 'page.txt')
writeFileSync(FILE_PATH, FILE_TEXT)

/**
 * A body that sends one chunk, then fails once the client has that chunk: the app cuts the
 * response (its own error handling), and the client must see a cut, not a complete body.
 */
function failingStream(channelId: string | string[] | undefined, onError: () => void): Readable {
  const channel = channelFor(channelId)
  const stream = new Readable({ read() {} })
  stream.on('error', onError)
  stream.push('partial ')
  void channel.untilReceived(1).then(() => stream.destroy(new Error('source failed')))
  return stream
}

function sseEvent(n: number): string {
  return `id: ${n}\nevent: tick\ndata: ${n}\n\n`
}

async function writeSse(id: string | string[] | undefined, write: (text: string) => void, end: () => void) {
  const channel = channelFor(id)
  for (let n = 1; n <= SSE_EVENTS; n++) {
    channel.sent = n
    write(sseEvent(n))
    await channel.untilReceived(n)
  }
  end()
}

function nodeStaysOpen(req: IncomingMessage, res: ServerResponse): void {
  const channel = channelFor(req.headers['x-channel'])
  res.on('close', () => channel.markClosed())
  res.setHeader('Content-Type', 'application/octet-stream')
  res.write(Buffer.alloc(16 * 1024, 'x'))
}

export const CASES: ConformanceCase[] = [
  {
    name: 'string',
    node: (_req, res) => {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8')
      res.end(TEXT)
    },
    express: (_req, res) => void res.send(TEXT),
    koa: (ctx) => void (ctx.body = TEXT),
    expect: { status: 200, body: TEXT },
  },
  {
    name: 'Buffer',
    node: (_req, res) => void res.end(BYTES),
    express: (_req, res) => void res.send(BYTES),
    koa: (ctx) => void (ctx.body = BYTES),
    expect: { status: 200, bodyLength: BYTES.length },
  },
  {
    name: 'JSON',
    node: (_req, res) => {
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify(JSON_VALUE))
    },
    express: (_req, res) => void res.json(JSON_VALUE),
    koa: (ctx) => void (ctx.body = JSON_VALUE),
    expect: { status: 200, body: JSON.stringify(JSON_VALUE) },
  },
  {
    name: 'stream',
    node: (_req, res) => void chunks().pipe(res),
    express: (_req, res) => void chunks().pipe(res),
    koa: (ctx) => void (ctx.body = chunks()),
    expect: { status: 200, body: 'first,second,third' },
  },
  {
    name: 'empty body',
    node: (_req, res) => void res.end(),
    express: (_req, res) => void res.end(),
    koa: (ctx) => void (ctx.body = ''),
    expect: { status: 200, body: '' },
  },
  {
    name: 'HEAD',
    method: 'HEAD',
    node: (_req, res) => {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8')
      res.setHeader('Content-Length', Buffer.byteLength(TEXT))
      res.end(TEXT)
    },
    express: (_req, res) => void res.send(TEXT),
    koa: (ctx) => void (ctx.body = TEXT),
    expect: { status: 200, body: '', header: { 'content-length': String(Buffer.byteLength(TEXT)) } },
  },
  {
    name: '204',
    node: (_req, res) => void res.writeHead(204).end(),
    express: (_req, res) => void res.status(204).end(),
    koa: (ctx) => void (ctx.status = 204),
    expect: { status: 204, body: '' },
  },
  {
    name: '304',
    requestHeaders: { 'if-none-match': '"v1"' },
    node: (req, res) => {
      res.setHeader('ETag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end()
      else res.end(TEXT)
    },
    express: (_req, res) => void res.set('ETag', '"v1"').send(TEXT),
    koa: (ctx) => {
      ctx.set('ETag', '"v1"')
      ctx.body = TEXT
      if (ctx.fresh) ctx.status = 304
    },
    expect: { status: 304, body: '', header: { etag: '"v1"' } },
  },
  {
    name: 'redirect',
    node: (_req, res) => void res.writeHead(302, { Location: '/elsewhere' }).end(),
    express: (_req, res) => res.redirect('/elsewhere'),
    koa: (ctx) => ctx.redirect('/elsewhere'),
    expect: { status: 302, header: { location: '/elsewhere' } },
  },
  {
    name: 'headers set before and after the body',
    node: (_req, res) => {
      res.setHeader('X-Before', 'b')
      res.writeHead(200, 'Fine', { 'X-In-Head': 'h' })
      res.end('body')
    },
    express: (_req, res) => {
      res.set('X-Before', 'b')
      res.status(200).append('X-In-Head', 'h')
      res.send('body')
    },
    koa: (ctx) => {
      ctx.set('X-Before', 'b')
      ctx.body = 'body'
      ctx.set('X-After', 'a')
    },
    expect: { status: 200, body: 'body', header: { 'x-before': 'b' } },
  },
  {
    name: 'not found, falling through the app',
    node: (_req, res) => void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found'),
    express: (_req, _res, next) => next(),
    koa: (_ctx, next) => next(),
    expect: { status: 404 },
  },
  {
    name: 'POST whose request body the app streams back',
    method: 'POST',
    requestBody: 'posted bytes '.repeat(5000),
    node: (req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      req.pipe(res)
    },
    express: (req, res) => {
      res.type('text')
      req.pipe(res)
    },
    koa: (ctx) => {
      ctx.type = 'text'
      ctx.body = ctx.req
    },
    expect: { status: 200, body: 'posted bytes '.repeat(5000) },
  },
  {
    name: 'multiple Set-Cookie',
    node: (_req, res) => {
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/; HttpOnly'])
      res.end('cookies')
    },
    express: (_req, res) => void res.cookie('a', '1').cookie('b', '2', { httpOnly: true }).send('cookies'),
    koa: (ctx) => {
      ctx.cookies.set('a', '1', { httpOnly: false })
      ctx.cookies.set('b', '2')
      ctx.body = 'cookies'
    },
    expect: { status: 200, body: 'cookies' },
  },
  {
    name: 'streamed 50 MB body',
    repeat: 1,
    node: (_req, res) => {
      res.setHeader('Content-Type', 'application/octet-stream')
      bigStream().pipe(res)
    },
    express: (_req, res) => {
      res.setHeader('Content-Type', 'application/octet-stream')
      bigStream().pipe(res)
    },
    koa: (ctx) => void (ctx.body = bigStream()),
    expect: { status: 200, bodyLength: BIG_CHUNK * BIG_CHUNKS },
  },
  {
    name: 'SSE stream whose events arrive one by one',
    client: 'sse',
    node: async (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
      await writeSse(
        req.headers['x-channel'],
        (text) => res.write(text),
        () => res.end(),
      )
    },
    express: (req, res) => {
      res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
      res.flushHeaders()
      void writeSse(
        req.headers['x-channel'],
        (text) => res.write(text),
        () => res.end(),
      )
    },
    koa: (ctx) => {
      const body = new Readable({ read() {} })
      ctx.set('Cache-Control', 'no-cache')
      ctx.type = 'text/event-stream'
      ctx.body = body
      void writeSse(
        ctx.get('x-channel'),
        (text) => body.push(text),
        () => body.push(null),
      )
    },
    expect: { status: 200, header: { 'content-type': 'text/event-stream' } },
  },
  {
    name: 'static file',
    node: (_req, res) => {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8')
      createReadStream(FILE_PATH).pipe(res)
    },
    express: (_req, res) => res.sendFile(FILE_PATH),
    koa: (ctx) => {
      ctx.type = 'text/plain'
      ctx.body = createReadStream(FILE_PATH)
    },
    expect: { status: 200, bodyLength: Buffer.byteLength(FILE_TEXT) },
  },
  {
    name: 'HEAD of a stream',
    method: 'HEAD',
    node: (_req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      chunks().pipe(res)
    },
    express: (_req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      chunks().pipe(res)
    },
    koa: (ctx) => {
      ctx.type = 'text/plain'
      ctx.body = chunks()
    },
    expect: { status: 200, body: '' },
  },
  {
    name: 'stream that fails midway',
    client: 'broken',
    node: (req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      failingStream(req.headers['x-channel'], () => res.destroy()).pipe(res)
    },
    express: (req, res) => {
      res.type('text')
      failingStream(req.headers['x-channel'], () => res.destroy()).pipe(res)
    },
    koa: (ctx) => {
      ctx.type = 'text'
      ctx.body = failingStream(ctx.get('x-channel'), () => ctx.res.destroy())
    },
    expect: { status: 200, body: 'partial ' },
  },
  {
    name: 'handler that throws',
    node: () => {
      throw new Error('handler broke')
    },
    express: () => {
      throw new Error('handler broke')
    },
    koa: () => {
      throw new Error('handler broke')
    },
    expect: { status: 500, body: 'Internal Server Error' },
  },
  {
    name: 'client that disconnects mid-response',
    client: 'disconnect',
    node: nodeStaysOpen,
    express: (req, res) => nodeStaysOpen(req, res),
    koa: (ctx) => {
      const channel = channelFor(ctx.get('x-channel'))
      const body = new Readable({ read() {} })
      body.on('close', () => channel.markClosed())
      body.push(Buffer.alloc(16 * 1024, 'x'))
      ctx.body = body
    },
    expect: { status: 200 },
  },
]
