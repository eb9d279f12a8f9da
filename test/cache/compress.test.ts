/**
 * cache → compress → app: entries per negotiated coding (not per raw Accept-Encoding), each
 * compressed once, and validators answered from the stored compressed variant.
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { cache } from '@brisk/cache'
import { compress } from '@brisk/compress'
import { BriskMetrics, compose } from '@brisk/core'
import { withBrisk } from '@brisk/node'
import { afterEach, describe, expect, it } from 'vitest'

interface RawReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

function get(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers, method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

function decode(reply: RawReply): string {
  const coding = reply.headers['content-encoding']
  if (coding === 'gzip') return gunzipSync(reply.body).toString()
  if (coding === 'br') return brotliDecompressSync(reply.body).toString()
  return reply.body.toString()
}

/** A page rendered on every call (never a constant string), about 45 KB of HTML. */
function renderPage(): string {
  const rows = Array.from(
    { length: 600 },
    (_, i) => `<li class="post">Post number ${i} — ${'lorem '.repeat(8)}</li>`,
  )
  return `<!doctype html><html><body><ul>${rows.join('\n')}</ul></body></html>`
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function start() {
  const metrics = new BriskMetrics()
  let calls = 0
  const page = renderPage()
  const server = createServer(
    withBrisk(compose(cache({ logger: false, metrics }), compress({ metrics })), (_req, res) => {
      calls++
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('etag', '"page-v1"')
      res.end(renderPage())
    }),
  )
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    page,
    metrics,
    get calls() {
      return calls
    },
  }
}

describe('cache in front of compress', () => {
  it('keeps one entry per negotiated coding, whatever the Accept-Encoding spelling', async () => {
    const t = await start()
    const spellings = [
      'gzip, deflate, br, zstd',
      'br',
      'br, gzip;q=0.8',
      'gzip',
      'gzip;q=1, identity;q=0.5',
      '',
    ]
    const replies: RawReply[] = []
    for (const spelling of spellings) replies.push(await get(t.base, '/', { 'accept-encoding': spelling }))
    // br, gzip and identity: three renders for six spellings.
    expect(t.calls).toBe(3)
    expect(replies.map((reply) => reply.headers['content-encoding'])).toEqual([
      'br',
      'br',
      'br',
      'gzip',
      'gzip',
      undefined,
    ])
    for (const reply of replies) expect(decode(reply)).toBe(t.page)
    expect(replies[1]?.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(replies[4]?.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(String(replies[0]?.headers.vary).toLowerCase()).toContain('accept-encoding')
  })

  it('compresses once per coding: hits reuse the stored bytes', async () => {
    const t = await start()
    await get(t.base, '/', { 'accept-encoding': 'gzip' })
    const before = t.metrics.get('compress.responses')
    for (let i = 0; i < 5; i++) await get(t.base, '/', { 'accept-encoding': 'gzip' })
    expect(t.metrics.get('compress.responses')).toBe(before)
    expect(t.metrics.get('cache.hit')).toBe(5)
  })

  it('answers a conditional request with the stored (weakened) ETag of the compressed variant', async () => {
    const t = await start()
    const first = await get(t.base, '/', { 'accept-encoding': 'br' })
    const etag = String(first.headers.etag)
    expect(etag).not.toBe('"page-v1"')
    const conditional = await get(t.base, '/', { 'accept-encoding': 'br', 'if-none-match': etag })
    expect(conditional.status).toBe(304)
    expect(conditional.body.length).toBe(0)
    expect(t.calls).toBe(1)
  })

  it('answers HEAD with the coding of the GET it stands for, before and after that GET is stored', async () => {
    const t = await start()
    const headers = { 'accept-encoding': 'gzip, br' }
    // Nothing stored yet: the HEAD reaches the app, and compress gives it the GET's fields.
    const miss = await get(t.base, '/', headers, 'HEAD')
    const stored = await get(t.base, '/', headers)
    // Stored: the HEAD is answered from the GET entry, which holds the encoded variant.
    const hit = await get(t.base, '/', headers, 'HEAD')
    expect(miss.headers['cache-status']).not.toMatch(/hit/)
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit/)
    for (const reply of [miss, stored, hit]) {
      expect(reply.status).toBe(200)
      expect(reply.headers['content-encoding']).toBe('br')
      expect(reply.headers.vary).toBe('Accept-Encoding')
      expect(reply.headers.etag).toBe('W/"page-v1"')
    }
    expect(miss.body.length).toBe(0)
    expect(hit.body.length).toBe(0)
    // The miss may not claim the identity length (RFC 9110 §8.6); the hit knows the encoded one.
    expect(miss.headers['content-length']).toBeUndefined()
    expect(hit.headers['content-length']).toBe(String(stored.body.length))
  })
})
