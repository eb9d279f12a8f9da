import { once } from 'node:events'
import { createServer, request as httpRequest, IncomingMessage, ServerResponse } from 'node:http'
import { Socket, type AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { captureResponse, type CaptureOptions } from './capture-response.js'
import type { BriskResponse } from './exchange.js'
import { writeResponse } from './write-response.js'

type App = (req: IncomingMessage, res: ServerResponse) => void

const servers: ReturnType<typeof createServer>[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A server that captures the app's response, reports it, then writes it unchanged. */
async function serve(app: App, options?: CaptureOptions) {
  const captured: Array<Promise<BriskResponse>> = []
  const server = createServer((req, res) => {
    const capture = captureResponse(res, options)
    captured.push(capture.response)
    app(req, res)
    capture.response.then(
      (response) => writeResponse(res, response, capture.writer),
      () => {},
    )
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { port, captured, url: `http://127.0.0.1:${port}` }
}

async function get(url: string) {
  const response = await fetch(url)
  return { status: response.status, headers: response.headers, text: await response.text() }
}

async function bodyText(body: BriskResponse['body']): Promise<string> {
  if (body === null) return ''
  if (Buffer.isBuffer(body)) return body.toString()
  const parts: Buffer[] = []
  for await (const chunk of body) parts.push(chunk as Buffer)
  return Buffer.concat(parts).toString()
}

describe('captureResponse', () => {
  it('buffers a body ended in one call, with status and headers', async () => {
    const { url, captured } = await serve((_req, res) => {
      res.statusCode = 201
      res.setHeader('X-One', '1')
      res.end('hello')
    })
    const client = await get(url)
    const response = await captured[0]!
    expect(response.status).toBe(201)
    expect(response.headers['x-one']).toBe('1')
    expect(Buffer.isBuffer(response.body) && response.body.toString()).toBe('hello')
    expect(client).toMatchObject({ status: 201, text: 'hello' })
    expect(client.headers.get('x-one')).toBe('1')
  })

  it('buffers several writes followed by end in the same tick as one Buffer', async () => {
    const { url, captured } = await serve((_req, res) => {
      res.write('a')
      res.write(Buffer.from('b'))
      res.end(new Uint8Array([99]))
    })
    expect((await get(url)).text).toBe('abc')
    expect(Buffer.isBuffer((await captured[0]!).body)).toBe(true)
  })

  it('applies writeHead with a reason phrase and headers as object or raw list', async () => {
    const { port, captured } = await serve((req, res) => {
      if (req.url === '/object') res.writeHead(202, 'Queued', { 'X-A': 'a' }).end()
      else res.writeHead(203, ['X-B', 'b', 'Set-Cookie', 'c=1', 'Set-Cookie', 'd=2']).end()
    })
    const first = await new Promise<IncomingMessage>((resolve) =>
      httpRequest({ port, host: '127.0.0.1', path: '/object' }, resolve).end(),
    )
    first.resume()
    expect(first.statusCode).toBe(202)
    expect(first.statusMessage).toBe('Queued')
    expect((await captured[0]!).headers['x-a']).toBe('a')
    const second = await get(`http://127.0.0.1:${port}/list`)
    expect(second.status).toBe(203)
    expect((await captured[1]!).headers['set-cookie']).toEqual(['c=1', 'd=2'])
    expect(second.headers.getSetCookie()).toEqual(['c=1', 'd=2'])
  })

  it('hands a body over as a stream when a write is not followed by end in the same tick', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { port, captured } = await serve((_req, res) => {
      res.setHeader('Content-Type', 'text/event-stream')
      res.write('data: 1\n\n')
      void gate.then(() => res.end('data: 2\n\n'))
    })
    const client = await new Promise<IncomingMessage>((resolve) =>
      httpRequest({ port, host: '127.0.0.1' }, resolve).end(),
    )
    const [first] = (await once(client, 'data')) as [Buffer]
    // The first event reached the client while the app had not yet ended the response.
    expect(first.toString()).toBe('data: 1\n\n')
    expect(Buffer.isBuffer((await captured[0]!).body)).toBe(false)
    release()
    const rest: Buffer[] = []
    for await (const chunk of client) rest.push(chunk as Buffer)
    expect(Buffer.concat(rest).toString()).toBe('data: 2\n\n')
  })

  it('streams at once after flushHeaders', async () => {
    const { port, captured } = await serve((_req, res) => {
      res.setHeader('X-Flushed', 'yes')
      res.flushHeaders()
    })
    const client = await new Promise<IncomingMessage>((resolve) =>
      httpRequest({ port, host: '127.0.0.1' }, resolve).end(),
    )
    // The head arrived while the app has written no body and never ended.
    expect(client.headers['x-flushed']).toBe('yes')
    const response = await captured[0]!
    expect(response.body).not.toBeNull()
    expect(Buffer.isBuffer(response.body)).toBe(false)
    client.destroy()
  })

  it('streams a piped body', async () => {
    const { url, captured } = await serve((_req, res) => {
      Readable.from([Buffer.from('x'), Buffer.from('y')]).pipe(res)
    })
    expect((await get(url)).text).toBe('xy')
    expect(Buffer.isBuffer((await captured[0]!).body)).toBe(false)
  })

  it('switches to streaming once the buffered bytes pass the limit', async () => {
    const { url, captured } = await serve(
      (_req, res) => {
        res.write(Buffer.alloc(6, 'a'))
        res.write(Buffer.alloc(6, 'b'))
        res.end()
      },
      { bufferLimit: 10 },
    )
    expect((await get(url)).text).toBe('aaaaaabbbbbb')
    const response = await captured[0]!
    expect(Buffer.isBuffer(response.body)).toBe(false)
    expect(await bodyText(response.body)).toBe('')
  })

  it('rejects the response when the client goes away before the app answers', async () => {
    const { port, captured } = await serve(() => {})
    const client = httpRequest({ port, host: '127.0.0.1' })
    client.on('error', () => {})
    client.end()
    await expect.poll(() => captured.length).toBe(1)
    client.destroy()
    await expect(captured[0]!).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('rejects the response when the app fails before answering', async () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()))
    const capture = captureResponse(res)
    capture.fail(new Error('app failed'))
    await expect(capture.response).rejects.toThrow('app failed')
  })

  it('tells a writer that waits for drain when the streamed body is full', async () => {
    let sawBackPressure = false
    const { url } = await serve((_req, res) => {
      res.flushHeaders()
      const chunk = Buffer.alloc(64 * 1024, 'z')
      let sent = 0
      const writeMore = (): void => {
        while (sent < 32) {
          sent++
          if (!res.write(chunk)) {
            sawBackPressure = true
            res.once('drain', writeMore)
            return
          }
        }
        res.end()
      }
      writeMore()
    })
    const response = await fetch(url)
    expect((await response.arrayBuffer()).byteLength).toBe(32 * 64 * 1024)
    expect(sawBackPressure).toBe(true)
  })

  it('shows the app its head as sent once committed, though nothing went out yet', async () => {
    const seen: boolean[] = []
    const { url } = await serve((_req, res) => {
      seen.push(res.headersSent)
      res.writeHead(200)
      seen.push(res.headersSent)
      res.end('ok')
    })
    expect((await get(url)).text).toBe('ok')
    expect(seen).toEqual([false, true])
  })

  it('releases a streamed body nobody read once the response is over', async () => {
    let streamed!: Readable
    const server = createServer((_req, res) => {
      const capture = captureResponse(res)
      res.write('never read')
      void capture.response.then((response) => {
        streamed = response.body as Readable
        void writeResponse(res, { status: 200, headers: {}, body: Buffer.from('other') }, capture.writer)
      })
    })
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    expect((await get(`http://127.0.0.1:${port}/`)).text).toBe('other')
    await expect.poll(() => streamed?.destroyed).toBe(true)
  })
})
