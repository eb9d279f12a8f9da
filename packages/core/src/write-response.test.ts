import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { BriskResponse } from './exchange.js'
import { setAdmissionHeaders } from './admission.js'
import { captureResponse } from './capture-response.js'
import { markRefusal } from './earlier-fields.js'
import { writeAnswerAtOnce, writeResponse } from './write-response.js'

const servers: ReturnType<typeof createServer>[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler)
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

function open(port: number, method = 'GET'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', method }, resolve)
    req.on('error', reject)
    req.end()
  })
}

async function readAll(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const chunk of res) parts.push(chunk as Buffer)
  return Buffer.concat(parts).toString()
}

// Front mode writes the head of an answer made without the app in one call when it can; every
// behaviour of the general writer holds for it too.
describe.each([
  ['writeResponse', writeResponse],
  ['writeAnswerAtOnce', writeAnswerAtOnce],
])('%s', (_name, write) => {
  it("keeps the fields set before an answer made without the app; the answer's own win", async () => {
    const port = await serve((_req, res) => {
      res.setHeader('X-Request-Id', 'this-request')
      res.setHeader('x-new', 'earlier')
      const answer: BriskResponse = {
        status: 200,
        headers: { 'x-new': 'new', 'set-cookie': ['a=1', 'b=2'] },
        body: Buffer.from('ok'),
      }
      void write(res, answer)
    })
    const res = await open(port)
    expect(res.headers['x-request-id']).toBe('this-request')
    expect(res.headers['x-new']).toBe('new')
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(res.headers['content-length']).toBe('2')
    expect(await readAll(res)).toBe('ok')
  })

  it('keeps earlier fields on a refusal, except the caching and representation ones', async () => {
    const port = await serve((_req, res) => {
      res.setHeader('access-control-allow-origin', 'https://app.example')
      res.setHeader('cache-control', 'public, max-age=600')
      res.setHeader('cdn-cache-control', 'max-age=600')
      res.setHeader('content-language', 'en')
      res.setHeader('etag', '"page"')
      const refusal = markRefusal({
        status: 429,
        headers: { 'content-type': 'text/plain', 'content-length': '2', 'retry-after': '5' },
        body: Buffer.from('no'),
      })
      void write(res, refusal)
    })
    const res = await open(port)
    expect(res.statusCode).toBe(429)
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example')
    expect(res.headers['retry-after']).toBe('5')
    expect(res.headers['content-type']).toBe('text/plain')
    for (const name of ['cache-control', 'cdn-cache-control', 'content-language', 'etag']) {
      expect(res.headers[name]).toBeUndefined()
    }
    expect(await readAll(res)).toBe('no')
  })

  it('answers 500 rather than crash when a field value cannot be sent', async () => {
    const port = await serve((_req, res) => {
      void write(res, {
        status: 200,
        headers: { 'x-bad': 'line\nbreak', 'set-cookie': ['a=1'] },
        body: Buffer.from('x'),
      })
    })
    const res = await open(port)
    expect(res.statusCode).toBe(500)
    expect(res.headers['x-bad']).toBeUndefined()
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(await readAll(res)).toBe('Internal Server Error')
  })

  it('sends every field of an answer onto a fresh response, lists as several lines', async () => {
    const port = await serve((_req, res) => {
      void write(res, {
        status: 201,
        headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'content-length': '2' },
        body: Buffer.from('ok'),
      })
    })
    const res = await open(port)
    expect([res.statusCode, res.statusMessage]).toEqual([201, 'Created'])
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect([res.headers['content-type'], res.headers['content-length']]).toEqual(['text/plain', '2'])
    expect(await readAll(res)).toBe('ok')
  })

  it('lets the bytes win over a Content-Length that disagrees with them', async () => {
    const port = await serve((_req, res) => {
      void write(res, { status: 200, headers: { 'content-length': '99' }, body: Buffer.from('four') })
    })
    const res = await open(port)
    expect(res.headers['content-length']).toBe('4')
    expect(await readAll(res)).toBe('four')
  })

  it.each([
    ['bytes', Buffer.from('four'), '4'],
    ['no body', null, '0'],
  ])('measures an answer without a Content-Length (%s) rather than chunk it', async (_case, body, length) => {
    const port = await serve((_req, res) => {
      void write(res, { status: 200, headers: { 'content-type': 'text/plain' }, body })
    })
    const res = await open(port)
    expect(res.headers['content-length']).toBe(length)
    expect(res.headers['transfer-encoding']).toBeUndefined()
    expect(await readAll(res)).toBe(body?.toString() ?? '')
  })

  it('keeps what was set before and reads back every field when something was set first', async () => {
    let seen: unknown
    const port = await serve((_req, res) => {
      res.setHeader('x-powered-by', 'Express')
      res.on('finish', () => {
        seen = [res.getHeader('x-powered-by'), res.getHeader('cache-status'), res.getHeader('content-length')]
      })
      void write(res, {
        status: 200,
        headers: { 'cache-status': 'brisk; hit', 'content-length': '2' },
        body: Buffer.from('ok'),
      })
    })
    const res = await open(port)
    expect(res.headers['x-powered-by']).toBe('Express')
    expect(res.headers['cache-status']).toBe('brisk; hit')
    expect(await readAll(res)).toBe('ok')
    expect(seen).toEqual(['Express', 'brisk; hit', '2'])
  })

  it('keeps the declared length of a HEAD answer', async () => {
    const port = await serve((_req, res) => {
      void write(res, { status: 200, headers: { 'content-length': '1234' }, body: null })
    })
    const res = await open(port, 'HEAD')
    expect(res.headers['content-length']).toBe('1234')
    expect(await readAll(res)).toBe('')
  })

  it('sends the status line with the reason phrase of the answer', async () => {
    const port = await serve((_req, res) => {
      void write(res, { status: 418, statusMessage: 'Short And Stout', headers: {}, body: null })
    })
    const res = await open(port)
    expect(res.statusCode).toBe(418)
    expect(res.statusMessage).toBe('Short And Stout')
  })

  it('gives an answer without its own reason phrase the default one of its status', async () => {
    const port = await serve((_req, res) => {
      void write(res, { status: 404, headers: {}, body: Buffer.from('gone') })
    })
    const res = await open(port)
    expect(res.statusCode).toBe(404)
    expect(res.statusMessage).toBe('Not Found')
    expect(await readAll(res)).toBe('gone')
  })

  it('keeps what an admission set on the response, and the bytes of a HEAD answer out', async () => {
    const port = await serve((_req, res) => {
      setAdmissionHeaders(res, { ratelimit: '"default";r=4;t=60' })
      res.setHeader('x-earlier', 'kept')
      void write(res, { status: 200, headers: { 'content-length': '5' }, body: Buffer.from('hello') })
    })
    const res = await open(port, 'HEAD')
    expect(res.headers['ratelimit']).toBe('"default";r=4;t=60')
    expect(res.headers['x-earlier']).toBe('kept')
    expect(res.headers['content-length']).toBe('5')
    expect(await readAll(res)).toBe('')
  })

  it('adds only the body to an answer whose head someone else already sent', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(202, { 'x-first': 'yes' })
      void write(res, { status: 200, headers: { 'x-late': 'no' }, body: Buffer.from('late body') })
    })
    const res = await open(port)
    expect(res.statusCode).toBe(202)
    expect(res.headers['x-first']).toBe('yes')
    expect(res.headers['x-late']).toBeUndefined()
    expect(await readAll(res)).toBe('late body')
  })

  it('sends the head of a streamed answer before the first body byte exists', async () => {
    const body = new PassThrough()
    const port = await serve((_req, res) => {
      void write(res, { status: 200, headers: { 'content-type': 'text/event-stream' }, body })
    })
    const res = await open(port)
    expect(res.headers['content-type']).toBe('text/event-stream')
    body.write('data: 1\n\n')
    const [chunk] = (await once(res, 'data')) as [Buffer]
    expect(chunk.toString()).toBe('data: 1\n\n')
    body.end()
    await readAll(res)
  })

  it('cuts the connection when a streamed body fails midway', async () => {
    const port = await serve((_req, res) => {
      const body = new Readable({ read() {} })
      body.push('partial')
      setImmediate(() => body.destroy(new Error('disk gone')))
      void write(res, { status: 200, headers: {}, body })
    })
    const res = await open(port)
    await expect(readAll(res)).rejects.toThrow(/aborted/)
  })

  it('destroys the body and settles when the client goes away', async () => {
    let destroyed!: Promise<unknown>
    let written!: Promise<void>
    const body = new PassThrough()
    const port = await serve((_req, res) => {
      destroyed = once(body, 'close')
      written = write(res, { status: 200, headers: {}, body })
    })
    const res = await open(port)
    body.write('x')
    await once(res, 'data')
    res.destroy()
    await destroyed
    await written
    expect(body.destroyed).toBe(true)
  })

  it('does nothing but release the body when the response is already gone', async () => {
    const body = new PassThrough()
    const port = await serve((_req, res) => {
      res.destroy()
      void write(res, { status: 200, headers: {}, body })
    })
    await expect(open(port)).rejects.toThrow()
    expect(body.destroyed).toBe(true)
  })

  it('settles without a throw or an error event when bytes meet a response already gone', async () => {
    let outcome: Promise<unknown> | undefined
    const errors: unknown[] = []
    const port = await serve((_req, res) => {
      res.on('error', (error) => errors.push(error))
      res.destroy()
      outcome = write(res, {
        status: 200,
        headers: { 'content-length': '2' },
        body: Buffer.from('ok'),
      }).then(() => 'settled')
    })
    await expect(open(port)).rejects.toThrow()
    await expect(outcome).resolves.toBe('settled')
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors).toEqual([])
  })

  it.each([
    ['a status Node refuses', { status: 42, headers: {}, body: Buffer.from('x') }],
    ['a header value with a control character', { status: 200, headers: { 'x-bad': 'a\nb' }, body: null }],
  ] as const)('answers 500 instead of throwing for %s', async (_name, answer) => {
    let threw = false
    const port = await serve((_req, res) => {
      try {
        void write(res, { ...answer, headers: { ...answer.headers } })
      } catch {
        threw = true
      }
    })
    const res = await open(port)
    expect(res.statusCode).toBe(500)
    expect(await readAll(res)).toBe('Internal Server Error')
    expect(threw).toBe(false)
  })

  it('stops pulling a streamed body while the client does not read (back-pressure)', async () => {
    let produced = 0
    const chunk = Buffer.alloc(64 * 1024, 'p')
    const body = new Readable({
      read() {
        produced += chunk.length
        this.push(chunk)
      },
    })
    const port = await serve((_req, res) => {
      void write(res, { status: 200, headers: {}, body })
    })
    const res = await open(port)
    res.pause()
    // The producer is asked for nothing more once the socket and stream buffers are full.
    await expect.poll(() => body.isPaused(), { timeout: 10_000 }).toBe(true)
    const atPause = produced
    await new Promise((resolve) => setImmediate(resolve))
    expect(produced).toBe(atPause)
    expect(produced).toBeLessThan(64 * 1024 * 1024)
    res.destroy()
    await expect.poll(() => body.destroyed).toBe(true)
  })
})

describe('writeResponse of an answer made from the app response', () => {
  it('sends exactly the answer headers: what a middleware dropped from the app response goes', async () => {
    const port = await serve((_req, res) => {
      res.setHeader('x-earlier', 'before the app')
      const capture = captureResponse(res)
      res.setHeader('content-length', '5')
      res.setHeader('x-app', 'yes')
      res.end('hello')
      void capture.response.then((response) => {
        const { 'content-length': _dropped, 'x-earlier': _alsoDropped, ...rest } = response.headers
        return writeResponse(res, { ...response, headers: rest }, capture.writer)
      })
    })
    const res = await open(port)
    expect(res.headers['x-app']).toBe('yes')
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.headers['x-earlier']).toBeUndefined()
    expect(await readAll(res)).toBe('hello')
  })
})

describe('an empty answer in place of the app response', () => {
  it.each([
    ['GET', 412, '0'],
    ['HEAD', 412, undefined],
    ['GET', 304, undefined],
  ])(
    'to a %s with status %i says Content-Length %s, never an empty chunked body',
    async (method, status, length) => {
      const port = await serve((_req, res) => {
        const capture = captureResponse(res)
        res.setHeader('content-length', '5')
        res.end('hello')
        void capture.response.then(() =>
          writeResponse(res, { status, headers: { etag: '"v1"' }, body: null }, capture.writer),
        )
      })
      const res = await open(port, method)
      expect(res.statusCode).toBe(status)
      expect(res.headers['content-length']).toBe(length)
      expect(res.headers['transfer-encoding']).toBeUndefined()
      expect(await readAll(res)).toBe('')
    },
  )
})
