/**
 * HEAD through a real stack (conditional + compress, no cache, so every HEAD reaches the app)
 * on node:http, Express 4/5 and Koa 2/3, as the framework's middleware and in front mode: a
 * HEAD answer carries the header fields its GET carries (RFC 9110 §9.3.2) and never contradicts
 * them. A field whose value is only known by producing the encoded body (the encoded length, an
 * ETag computed from the encoded bytes) may be missing from the HEAD (§9.3.2, §8.6), never
 * different.
 */
import { Agent } from 'node:http'
import { BriskMetrics } from '@brisk/core'
import { createStack, type StackOptions } from '@brisk/stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConformanceCase } from './cases.js'
import { readFull, type Observed } from './client.js'
import { FRAMEWORKS, startFrontServer, startServer, type RunningServer } from './servers.js'

const TEXT = 'hello, brisk ✓'
const JSON_VALUE = { posts: [{ id: 42, title: 'brisk' }] }
const PNG = Buffer.alloc(4096, 7)

/** A page rendered per request (never a constant string), above the compression threshold. */
function renderPage(): string {
  return `<!doctype html><title>brisk</title>${Array.from({ length: 200 }, (_, i) => `<p>row ${i}</p>`).join('')}`
}

interface Row extends ConformanceCase {
  /** Whether the GET is content-coded for `Accept-Encoding: gzip, br`. */
  encoded: boolean
}

const ROWS: Row[] = [
  {
    name: 'short text',
    encoded: false,
    node: (_req, res) => {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8')
      res.end(TEXT)
    },
    express: (_req, res) => void res.type('text').send(TEXT),
    koa: (ctx) => {
      ctx.type = 'text'
      ctx.body = TEXT
    },
    expect: { status: 200, body: TEXT },
  },
  {
    name: 'JSON',
    encoded: false,
    node: (_req, res) => {
      res.setHeader('Content-Type', 'application/json; charset=utf-8')
      res.end(JSON.stringify(JSON_VALUE))
    },
    express: (_req, res) => void res.json(JSON_VALUE),
    koa: (ctx) => void (ctx.body = JSON_VALUE),
    expect: { status: 200, body: JSON.stringify(JSON_VALUE) },
  },
  {
    name: 'image',
    encoded: false,
    node: (_req, res) => {
      res.setHeader('Content-Type', 'image/png')
      res.end(PNG)
    },
    express: (_req, res) => void res.type('png').send(PNG),
    koa: (ctx) => {
      ctx.type = 'png'
      ctx.body = PNG
    },
    expect: { status: 200, bodyLength: PNG.length },
  },
  {
    name: 'page',
    encoded: true,
    node: (_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8')
      res.end(renderPage())
    },
    express: (_req, res) => void res.type('html').send(renderPage()),
    koa: (ctx) => {
      ctx.type = 'html'
      ctx.body = renderPage()
    },
    expect: { status: 200, body: renderPage() },
  },
]

const OPTIONS: StackOptions = { cache: false, conditional: true, compress: true, logger: false }
const ACCEPT = { 'accept-encoding': 'gzip, br' }

function fields(observed: Observed): Record<string, string> {
  const map: Record<string, string> = {}
  for (const [name, value] of observed.headers)
    map[name] = map[name] === undefined ? value : `${map[name]}, ${value}`
  return map
}

describe.each(FRAMEWORKS)('HEAD header fields on %s', (framework) => {
  let middleware: RunningServer
  let front: RunningServer
  beforeAll(async () => {
    middleware = await startServer(framework, ROWS, createStack({ ...OPTIONS, metrics: new BriskMetrics() }))
    front = await startFrontServer(framework, ROWS, { ...OPTIONS, metrics: new BriskMetrics() })
  })
  afterAll(async () => {
    await middleware?.close()
    await front?.close()
  })

  const modes = ['middleware', 'front'] as const
  it.each(modes.flatMap((mode) => ROWS.map((row) => [row.name, mode, row] as const)))(
    '%s (%s mode)',
    async (_name, mode, row) => {
      const server = mode === 'middleware' ? middleware : front
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const get = await readFull(server.port, { ...row, requestHeaders: ACCEPT }, agent)
        const head = await readFull(server.port, { ...row, method: 'HEAD', requestHeaders: ACCEPT }, agent)
        const got = fields(get)
        const headed = fields(head)
        expect(head.status).toBe(get.status)
        expect(head.bodyLength).toBe(0)
        expect(got['content-encoding']).toBe(row.encoded ? 'br' : undefined)
        for (const name of ['content-type', 'content-encoding', 'vary']) {
          expect([name, headed[name]]).toEqual([name, got[name]])
        }
        // Content-Length: the GET's or none (§8.6): none where only encoding the body would
        // tell, and none where the app leaves it to Node, which declares no length for HEAD.
        if (headed['content-length'] !== undefined) {
          expect(headed['content-length']).toBe(got['content-length'])
        }
        // ETag: an identity GET's validator is the HEAD's too; an encoded GET's may be missing.
        expect(got.etag).toBeDefined()
        if (headed.etag !== undefined) expect(headed.etag).toBe(got.etag)
        // Koa writes no body for HEAD to the socket, so front mode, which sees only what Koa
        // writes, has nothing to compute a validator from (a HEAD hit from a stored GET has it).
        const koaFront = mode === 'front' && framework.startsWith('koa')
        if (!row.encoded && !koaFront) expect(headed.etag).toBe(got.etag)
      } finally {
        agent.destroy()
      }
    },
  )
})
