import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { PassThrough, Readable } from 'node:stream'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  BriskMetrics,
  BriskOptionError,
  type BriskHeaders,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { compress } from './compress.js'
import { encodeSync } from './codings.js'
import type { CompressOptions } from './options.js'

function request(acceptEncoding: string | undefined, extra: Partial<BriskRequest> = {}): BriskRequest {
  return {
    method: 'GET',
    url: '/',
    headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding },
    clientAddress: '127.0.0.1',
    hints: {},
    ...extra,
  }
}

function respond(body: BriskResponse['body'], headers: BriskHeaders = {}, status = 200): BriskResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body }
}

function run(options: CompressOptions, req: BriskRequest, res: BriskResponse): Promise<BriskResponse> {
  return compress({ metrics: new BriskMetrics(), ...options })(req, async () => res)
}

async function bodyBytes(body: BriskResponse['body']): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0)
  if (Buffer.isBuffer(body)) return body
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function decode(coding: string | undefined, bytes: Buffer): Buffer {
  switch (coding) {
    case 'br':
      return zlib.brotliDecompressSync(bytes)
    case 'gzip':
      return zlib.gunzipSync(bytes)
    case 'deflate':
      return zlib.inflateSync(bytes)
    case undefined:
      return bytes
    default:
      throw new Error(`unexpected coding ${coding}`)
  }
}

async function roundTrip(res: BriskResponse): Promise<Buffer> {
  return decode(res.headers['content-encoding'] as string | undefined, await bodyBytes(res.body))
}

const page = Buffer.from(
  Array.from(
    { length: 120 },
    (_, i) => `<li><a href="/posts/${i}">Post number ${i}</a> ${i * 7919}</li>`,
  ).join('\n'),
)
const json = Buffer.from(
  JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, title: `post ${i}`, tags: ['a', 'b'] }))),
)

describe('compress: buffered bodies', () => {
  it('brotli-compresses an HTML page for a browser and the bytes decode to the original', async () => {
    const res = await run({}, request('gzip, deflate, br'), respond(page))
    expect(res.headers['content-encoding']).toBe('br')
    expect(res.headers.vary).toBe('Accept-Encoding')
    expect(res.headers['content-length']).toBe(String((res.body as Buffer).length))
    expect((res.body as Buffer).length).toBeLessThan(page.length)
    expect((await roundTrip(res)).equals(page)).toBe(true)
  })

  it('gzips JSON for a client that accepts only gzip', async () => {
    const res = await run({}, request('gzip'), respond(json, { 'content-type': 'application/json' }))
    expect(res.headers['content-encoding']).toBe('gzip')
    expect((await roundTrip(res)).equals(json)).toBe(true)
  })

  it('deflates for a client that accepts only deflate', async () => {
    const res = await run({}, request('deflate'), respond(page))
    expect(res.headers['content-encoding']).toBe('deflate')
    expect((await roundTrip(res)).equals(page)).toBe(true)
  })

  it('round-trips binary data of a compressible type byte for byte', async () => {
    const binary = Buffer.concat([randomBytes(4096), Buffer.alloc(4096, 0), randomBytes(4096)])
    const res = await run({}, request('br'), respond(binary, { 'content-type': 'application/octet-stream' }))
    expect(res.headers['content-encoding']).toBe('br')
    expect((await roundTrip(res)).equals(binary)).toBe(true)
  })

  it('round-trips a body larger than syncBelow, compressed on the thread pool', async () => {
    const big = Buffer.concat(Array.from({ length: 10 }, () => page))
    const res = await run({ syncBelow: 1024 }, request('gzip'), respond(big))
    expect(res.headers['content-encoding']).toBe('gzip')
    expect((await roundTrip(res)).equals(big)).toBe(true)
  })

  it('uses the dynamic brotli quality (4) per request and quality 11 when the cache will store the result', async () => {
    const dynamic = await run({}, request('br'), respond(Buffer.from(page)))
    expect((dynamic.body as Buffer).equals(encodeSync('br', 4, page))).toBe(true)
    const stored = await run({}, request('br', { hints: { willStore: true } }), respond(Buffer.from(page)))
    expect((stored.body as Buffer).equals(encodeSync('br', 11, page))).toBe(true)
    expect((stored.body as Buffer).length).toBeLessThan((dynamic.body as Buffer).length)
  })

  it('uses gzip level 9 when the cache will store the result', async () => {
    const stored = await run({}, request('gzip', { hints: { willStore: true } }), respond(Buffer.from(page)))
    expect((stored.body as Buffer).equals(encodeSync('gzip', 9, page))).toBe(true)
  })

  it('leaves a body below the threshold as it is but still varies on Accept-Encoding', async () => {
    const small = Buffer.from('<p>hello</p>')
    const res = await run({}, request('gzip'), respond(small))
    expect(res.body).toBe(small)
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.headers.vary).toBe('Accept-Encoding')
  })

  it('compresses a body below the threshold when the client refuses identity', async () => {
    const small = Buffer.from('<p>hello</p>')
    const res = await run({}, request('gzip, identity;q=0'), respond(small))
    expect(res.headers['content-encoding']).toBe('gzip')
    expect((await roundTrip(res)).equals(small)).toBe(true)
  })

  it('honours a custom threshold', async () => {
    const res = await run({ threshold: '64 KB' }, request('gzip'), respond(page))
    expect(res.headers['content-encoding']).toBeUndefined()
  })

  it('sends identity with Vary when Accept-Encoding is absent', async () => {
    const res = await run({}, request(undefined), respond(page))
    expect(res.body).toBe(page)
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.headers.vary).toBe('Accept-Encoding')
  })

  it('merges Accept-Encoding into an existing Vary', async () => {
    const res = await run({}, request('gzip'), respond(page, { vary: 'Cookie' }))
    expect(res.headers.vary).toBe('Cookie, Accept-Encoding')
  })

  it('leaves media types that do not compress alone, without Vary', async () => {
    const png = randomBytes(4096)
    const res = await run({}, request('gzip'), respond(png, { 'content-type': 'image/png' }))
    expect(res.body).toBe(png)
    expect(res.headers.vary).toBeUndefined()
    expect(res.headers['content-encoding']).toBeUndefined()
  })

  it('leaves a response without Content-Type alone', async () => {
    const res = await run({}, request('gzip'), { status: 200, headers: {}, body: page })
    expect(res.body).toBe(page)
    expect(res.headers.vary).toBeUndefined()
  })

  it('asks the filter option which media types to compress', async () => {
    const res = await run(
      { filter: (type) => type === 'application/x-custom' },
      request('gzip'),
      respond(page, { 'content-type': 'application/x-custom' }),
    )
    expect(res.headers['content-encoding']).toBe('gzip')
    const html = await run(
      { filter: (type) => type === 'application/x-custom' },
      request('gzip'),
      respond(page),
    )
    expect(html.headers['content-encoding']).toBeUndefined()
  })

  it('prefers the order of the encodings option among equal q-values', async () => {
    const res = await run({ encodings: ['gzip', 'br'] }, request('br, gzip'), respond(page))
    expect(res.headers['content-encoding']).toBe('gzip')
  })

  it('weakens a strong ETag on a compressed response and keeps a weak one', async () => {
    const strong = await run({}, request('gzip'), respond(page, { etag: '"v1"' }))
    expect(strong.headers.etag).toBe('W/"v1"')
    const weak = await run({}, request('gzip'), respond(page, { etag: 'W/"v1"' }))
    expect(weak.headers.etag).toBe('W/"v1"')
  })

  it('keeps a strong ETag on an uncompressed answer', async () => {
    const res = await run({}, request('identity'), respond(page, { etag: '"v1"' }))
    expect(res.headers.etag).toBe('"v1"')
  })

  it('replaces the identity Content-Length with the compressed one', async () => {
    const res = await run({}, request('gzip'), respond(page, { 'content-length': String(page.length) }))
    expect(res.headers['content-length']).toBe(String((res.body as Buffer).length))
  })

  it('counts compressed responses and bytes in and out', async () => {
    const metrics = new BriskMetrics()
    const res = await run({ metrics }, request('gzip'), respond(page))
    expect(metrics.get('compress.responses')).toBe(1)
    expect(metrics.get('compress.bytesIn')).toBe(page.length)
    expect(metrics.get('compress.bytesOut')).toBe((res.body as Buffer).length)
    await run({ metrics }, request('identity'), respond(page))
    expect(metrics.get('compress.responses')).toBe(1)
  })

  it('throws at creation, not at request time, on a bad option', () => {
    expect(() => compress({ threshold: 'big' })).toThrow(BriskOptionError)
  })
})

describe('compress: responses left untouched', () => {
  const cases: ReadonlyArray<readonly [string, string, BriskResponse, boolean]> = [
    ['HEAD without a known length (which gets the Vary its GET would have)', 'HEAD', respond(null), true],
    ['204 No Content', 'GET', respond(null, {}, 204), false],
    ['206 Partial Content', 'GET', respond(page, { 'content-range': 'bytes 0-99/5000' }, 206), false],
    ['a 200 carrying Content-Range', 'GET', respond(page, { 'content-range': 'bytes 0-99/5000' }), false],
    ['a body already gzip-encoded', 'GET', respond(page, { 'content-encoding': 'gzip' }), false],
    ['Cache-Control: no-transform', 'GET', respond(page, { 'cache-control': 'public, no-transform' }), false],
    ['a null body', 'GET', respond(null), false],
  ]

  it.each(cases)('%s is not compressed', async (_name, method, res, vary) => {
    const body = res.body
    const headersBefore = { ...res.headers }
    const out = await run({}, request('gzip, br', { method }), res)
    expect(out.body).toBe(body)
    expect(out.headers).toEqual(vary ? { ...headersBefore, vary: 'Accept-Encoding' } : headersBefore)
  })

  it('HEAD of an image gets no Vary', async () => {
    const out = await run(
      {},
      request('gzip', { method: 'HEAD' }),
      respond(null, { 'content-type': 'image/png' }),
    )
    expect(out.headers.vary).toBeUndefined()
  })

  it('HEAD of a no-transform page gets no Vary', async () => {
    const out = await run(
      {},
      request('gzip', { method: 'HEAD' }),
      respond(null, { 'cache-control': 'no-transform' }),
    )
    expect(out.headers.vary).toBeUndefined()
  })

  it('304 Not Modified gets the Vary its 200 would have had, and nothing else', async () => {
    const out = await run({}, request('gzip'), { status: 304, headers: { etag: '"v1"' }, body: null })
    expect(out.status).toBe(304)
    expect(out.headers).toEqual({ etag: '"v1"', vary: 'Accept-Encoding' })
  })
})

describe('compress: HEAD gets the header fields its GET would get (RFC 9110 §9.3.2)', () => {
  const head = (acceptEncoding: string | undefined): BriskRequest =>
    request(acceptEncoding, { method: 'HEAD' })
  const declared = { 'content-length': String(page.length) }

  it('says Content-Encoding: br where the GET would be br-encoded, without the identity length', async () => {
    const get = await run({}, request('gzip, br'), respond(page, { ...declared }))
    const out = await run({}, head('gzip, br'), respond(null, { ...declared }))
    expect(get.headers['content-encoding']).toBe('br')
    expect(out.headers['content-encoding']).toBe('br')
    expect(out.headers.vary).toBe('Accept-Encoding')
    expect(out.headers['content-length']).toBeUndefined()
    expect(out.body).toBeNull()
  })

  it('judges the threshold by a body the adapter buffered for HEAD, and drops that body', async () => {
    const out = await run({}, head('gzip'), respond(page))
    expect(out.headers['content-encoding']).toBe('gzip')
    expect(out.headers['content-length']).toBeUndefined()
    // The identity bytes no longer describe this answer: nobody may hash them into an ETag.
    expect(out.body).toBeNull()
  })

  it('destroys a streamed body it drops', async () => {
    const source = new PassThrough()
    const out = await run({}, head('gzip'), respond(source, { ...declared }))
    expect(out.headers['content-encoding']).toBe('gzip')
    expect(out.body).toBeNull()
    expect(source.destroyed).toBe(true)
  })

  it('weakens a strong ETag and removes Content-MD5 as the GET would', async () => {
    const out = await run(
      {},
      head('gzip'),
      respond(null, { ...declared, etag: '"v1"', 'content-md5': 'Q2hlY2sgSW50ZWdyaXR5IQ==' }),
    )
    expect(out.headers.etag).toBe('W/"v1"')
    expect(out.headers['content-md5']).toBeUndefined()
  })

  it('keeps identity and its Content-Length below the threshold', async () => {
    const out = await run({}, head('gzip'), respond(null, { 'content-length': '100' }))
    expect(out.headers['content-encoding']).toBeUndefined()
    expect(out.headers['content-length']).toBe('100')
    expect(out.headers.vary).toBe('Accept-Encoding')
  })

  it('keeps identity for a client that wants identity', async () => {
    const out = await run({}, head('identity'), respond(null, { ...declared, etag: '"v1"' }))
    expect(out.headers['content-encoding']).toBeUndefined()
    expect(out.headers['content-length']).toBe(String(page.length))
    expect(out.headers.etag).toBe('"v1"')
  })

  it('says the coding below the threshold when the client refuses identity, as the GET would', async () => {
    const out = await run({}, head('gzip, identity;q=0'), respond(null, { 'content-length': '100' }))
    expect(out.headers['content-encoding']).toBe('gzip')
    expect(out.headers['content-length']).toBeUndefined()
  })

  it('says the coding of an event stream, which the GET compresses whatever its length', async () => {
    const out = await run({}, head('gzip'), respond(null, { 'content-type': 'text/event-stream' }))
    expect(out.headers['content-encoding']).toBe('gzip')
  })

  it('answers 406 where the GET would', async () => {
    const out = await run({}, head('identity;q=0'), respond(null, { ...declared }))
    expect(out.status).toBe(406)
    expect(out.headers.vary).toBe('Accept-Encoding')
  })

  it('says the coding of an image for a client refusing identity, and nothing for others', async () => {
    const png = { 'content-type': 'image/png', 'content-length': '10' }
    const refusing = await run({}, head('gzip, identity;q=0'), respond(null, { ...png }))
    expect(refusing.headers['content-encoding']).toBe('gzip')
    const plain = await run({}, head('gzip'), respond(null, { ...png }))
    expect(plain.headers).toEqual(png)
  })

  it('leaves an already encoded HEAD alone', async () => {
    const headers = { ...declared, 'content-encoding': 'gzip' }
    const out = await run({}, head('br'), respond(null, { ...headers }))
    expect(out.headers).toEqual({ 'content-type': 'text/html; charset=utf-8', ...headers })
  })

  it('does not count a HEAD as a compressed response', async () => {
    const metrics = new BriskMetrics()
    await run({ metrics }, head('gzip'), respond(page))
    expect(metrics.get('compress.responses')).toBe(0)
  })
})

describe('compress: nothing acceptable', () => {
  it('answers 406 when identity is refused and no offered coding is acceptable', async () => {
    const out = await run({}, request('identity;q=0, compress'), respond(page))
    expect(out.status).toBe(406)
    expect(out.headers.vary).toBe('Accept-Encoding')
    expect(out.headers['content-encoding']).toBeUndefined()
  })

  it('answers 406 for *;q=0', async () => {
    const out = await run({}, request('*;q=0'), respond(page))
    expect(out.status).toBe(406)
  })

  it('sends identity anyway when notAcceptable is "identity"', async () => {
    const out = await run({ notAcceptable: 'identity' }, request('identity;q=0'), respond(page))
    expect(out.status).toBe(200)
    expect(out.body).toBe(page)
  })

  it('keeps an error status rather than hiding it behind 406', async () => {
    const out = await run({}, request('identity;q=0'), respond(page, {}, 404))
    expect(out.status).toBe(404)
    expect(out.body).toBe(page)
  })

  it('answers 406 alike for a media type the filter rejects', async () => {
    const png = randomBytes(4096)
    const out = await run({}, request('identity;q=0'), respond(png, { 'content-type': 'image/png' }))
    expect(out.status).toBe(406)
    // The answer depended on Accept-Encoding, so it says so (RFC 9110 §12.5.5).
    expect(out.headers.vary).toBe('Accept-Encoding')
  })

  it('answers 406 alike for a response without Content-Type', async () => {
    const out = await run({}, request('*;q=0'), { status: 200, headers: {}, body: page })
    expect(out.status).toBe(406)
  })

  it('sends a media type the filter rejects in a coding the client accepts when it refuses identity', async () => {
    const png = randomBytes(4096)
    const out = await run({}, request('identity;q=0, gzip'), respond(png, { 'content-type': 'image/png' }))
    expect(out.status).toBe(200)
    expect(out.headers['content-encoding']).toBe('gzip')
    expect(out.headers.vary).toBe('Accept-Encoding')
    expect((await roundTrip(out)).equals(png)).toBe(true)
  })

  it('sends a media type the filter rejects as identity when notAcceptable is "identity"', async () => {
    const png = randomBytes(4096)
    const out = await run(
      { notAcceptable: 'identity' },
      request('identity;q=0'),
      respond(png, { 'content-type': 'image/png' }),
    )
    expect(out.status).toBe(200)
    expect(out.body).toBe(png)
    expect(out.headers['content-encoding']).toBeUndefined()
  })

  it('destroys the stream it will not send', async () => {
    const source = new PassThrough()
    const out = await run({}, request('identity;q=0'), respond(source))
    expect(out.status).toBe(406)
    expect(source.destroyed).toBe(true)
  })
})

function chunked(data: Buffer, size: number): Readable {
  const chunks: Buffer[] = []
  for (let offset = 0; offset < data.length; offset += size) chunks.push(data.subarray(offset, offset + size))
  return Readable.from(chunks, { objectMode: false })
}

describe('compress: streamed bodies', () => {
  it('compresses a stream, drops Content-Length, and the bytes decode to the original', async () => {
    const res = await run(
      {},
      request('br'),
      respond(chunked(page, 1000), { 'content-length': String(page.length) }),
    )
    expect(res.headers['content-encoding']).toBe('br')
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.body).toBeInstanceOf(Readable)
    expect((await roundTrip(res)).equals(page)).toBe(true)
  })

  it('reads small chunks until the threshold before deciding, then compresses them all', async () => {
    const res = await run({}, request('gzip'), respond(chunked(page, 100)))
    expect(res.headers['content-encoding']).toBe('gzip')
    expect((await roundTrip(res)).equals(page)).toBe(true)
  })

  it('sends a stream that ends below the threshold as a buffer with its length', async () => {
    const small = Buffer.from('<p>short</p>')
    const res = await run({}, request('gzip'), respond(chunked(small, 4)))
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(Buffer.isBuffer(res.body)).toBe(true)
    expect((res.body as Buffer).equals(small)).toBe(true)
    expect(res.headers['content-length']).toBe(String(small.length))
    expect(res.headers.vary).toBe('Accept-Encoding')
  })

  it('leaves a stream whose declared Content-Length is below the threshold untouched', async () => {
    const source = chunked(Buffer.from('<p>short</p>'), 4)
    const res = await run({}, request('gzip'), respond(source, { 'content-length': '12' }))
    expect(res.body).toBe(source)
  })

  it('round-trips JSON streamed in chunks', async () => {
    const res = await run(
      {},
      request('gzip'),
      respond(chunked(json, 333), { 'content-type': 'application/json' }),
    )
    expect((await roundTrip(res)).equals(json)).toBe(true)
  })

  it('round-trips a 20 MB stream byte for byte', async () => {
    const block = Buffer.from(
      Array.from({ length: 2048 }, (_, i) => `line ${i} ${(i * 2654435761) % 4294967296}\n`).join(''),
    )
    const total = 20 * 1024 * 1024
    const expected = createHash('sha256')
    let produced = 0
    let n = 0
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null)
        const chunk = Buffer.concat([block, Buffer.from(`#${n++}\n`)]).subarray(
          0,
          Math.min(65536, total - produced),
        )
        produced += chunk.length
        expected.update(chunk)
        this.push(chunk)
      },
    })
    const res = await run(
      { level: { br: 1 } },
      request('br'),
      respond(source, { 'content-type': 'text/plain' }),
    )
    const decoder = zlib.createBrotliDecompress()
    const actual = createHash('sha256')
    let length = 0
    decoder.on('data', (chunk: Buffer) => {
      length += chunk.length
      actual.update(chunk)
    })
    ;(res.body as Readable).pipe(decoder)
    await once(decoder, 'end')
    expect(length).toBe(total)
    expect(actual.digest('hex')).toBe(expected.digest('hex'))
  })

  it('counts a compressed stream once it has ended', async () => {
    const metrics = new BriskMetrics()
    const res = await run({ metrics }, request('gzip'), respond(chunked(page, 500)))
    expect(metrics.get('compress.responses')).toBe(0)
    const bytes = await bodyBytes(res.body)
    expect(metrics.get('compress.responses')).toBe(1)
    expect(metrics.get('compress.bytesIn')).toBe(page.length)
    expect(metrics.get('compress.bytesOut')).toBe(bytes.length)
  })

  it('compresses server-sent events without waiting for the threshold', async () => {
    const source = new PassThrough()
    const res = await run({}, request('gzip'), respond(source, { 'content-type': 'text/event-stream' }))
    expect(res.headers['content-encoding']).toBe('gzip')
    const decoder = zlib.createGunzip()
    ;(res.body as Readable).pipe(decoder)
    source.write('data: one\n\n')
    const [first] = (await once(decoder, 'data')) as [Buffer]
    expect(first.toString()).toBe('data: one\n\n')
    source.end('data: two\n\n')
    const [second] = (await once(decoder, 'data')) as [Buffer]
    expect(second.toString()).toBe('data: two\n\n')
  })

  it.each(['gzip', 'br'] as const)(
    'keeps the %s window across event flushes, so repetitive events shrink',
    async (coding) => {
      const source = new PassThrough()
      const res = await run({}, request(coding), respond(source, { 'content-type': 'text/event-stream' }))
      const body = res.body as Readable
      let compressed = 0
      body.on('data', (chunk: Buffer) => (compressed += chunk.length))
      const decoded = body.pipe(coding === 'gzip' ? zlib.createGunzip() : zlib.createBrotliDecompress())
      const sizes: number[] = []
      for (let i = 0; i < 20; i++) {
        const before = compressed
        source.write(
          `id: ${i}\ndata: {"post":${i},"title":"a fairly long title that every event repeats"}\n\n`,
        )
        await once(decoded, 'data')
        sizes.push(compressed - before)
      }
      source.end()
      const [first, ...rest] = sizes as [number, ...number[]]
      const later = rest.reduce((sum, size) => sum + size, 0) / rest.length
      // A flush that reset the window (Node's default Z_FULL_FLUSH) would make every event as big as the first.
      expect(later).toBeLessThan(first / 2)
    },
  )

  it('fails the body of a stream that was destroyed before it was read, as the stream itself would', async () => {
    const source = new PassThrough()
    source.destroy()
    const res = await run({}, request('gzip'), respond(source))
    await expectFailingBody(res)
  })

  it('destroys the compressed stream and the source when the request signal aborts', async () => {
    const controller = new AbortController()
    const source = new PassThrough()
    const res = await run(
      {},
      request('gzip', { signal: controller.signal }),
      respond(source, { 'content-length': String(page.length) }),
    )
    source.write(page)
    const body = res.body as Readable
    controller.abort()
    await once(body, 'close')
    expect(body.destroyed).toBe(true)
    if (!source.destroyed) await once(source, 'close')
    expect(source.destroyed).toBe(true)
  })

  it('gives up and destroys the source when the client aborts while the threshold prefix is read', async () => {
    const controller = new AbortController()
    const source = new PassThrough()
    source.write('<p>not yet')
    const pending = run({}, request('gzip', { signal: controller.signal }), respond(source))
    controller.abort()
    const res = await pending
    await expectFailingBody(res)
    expect(source.destroyed).toBe(true)
  })

  it("fails the body with the source's error when the source fails before the threshold, never a clean empty body", async () => {
    const source = new PassThrough()
    const pending = run({}, request('gzip'), respond(source))
    // Fail once compress is reading the prefix: a stream that errors before anyone holds it is
    // the job of whoever created it (the adapters' capture owns that listener).
    await new Promise((resolve) => setImmediate(resolve))
    source.destroy(new Error('database went away'))
    const res = await pending
    expect((await expectFailingBody(res)).message).toBe('database went away')
  })

  it('passes a source error after the threshold on to the consumer of the compressed stream', async () => {
    const source = new PassThrough()
    source.write(page)
    const res = await run({}, request('gzip'), respond(source))
    const body = res.body as Readable
    body.resume()
    source.destroy(new Error('boom'))
    const [error] = (await once(body, 'error').catch((e: unknown) => [e])) as [Error]
    expect(error.message).toBe('boom')
  })
})

/** The body is a stream that fails once read, and no Content-Length promises a length. */
async function expectFailingBody(res: BriskResponse): Promise<Error> {
  expect(res.headers['content-length']).toBeUndefined()
  const body = res.body as Readable
  expect(typeof body?.read).toBe('function')
  body.resume()
  const [error] = (await once(body, 'error')) as [Error]
  return error
}
