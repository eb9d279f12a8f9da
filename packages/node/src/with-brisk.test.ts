import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compose, passThrough, withAnswerNow, type BriskMiddleware } from '@brisk/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { rateLimit } from '@brisk/ratelimit'
import { brisk } from './request-context.js'
import { withBrisk } from './with-brisk.js'

const hello = (_req: IncomingMessage, res: ServerResponse): void => {
  res.setHeader('Content-Type', 'text/plain')
  res.end('hello')
}

describe('withBrisk', () => {
  it('passes the listener response through an identity middleware unchanged', async () => {
    const res = await request(createServer(withBrisk(passThrough, hello))).get('/')
    expect(res.status).toBe(200)
    expect(res.text).toBe('hello')
    expect(res.headers['content-type']).toBe('text/plain')
    expect(res.headers['content-length']).toBe('5')
  })

  it('lets a middleware answer without running the listener', async () => {
    let listenerRuns = 0
    const answer: BriskMiddleware = async () => ({
      status: 429,
      headers: { 'retry-after': '1' },
      body: Buffer.from('slow down'),
    })
    const server = createServer(withBrisk(answer, () => listenerRuns++))
    const res = await request(server).get('/')
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.text).toBe('slow down')
    expect(listenerRuns).toBe(0)
  })

  it("writes a middleware's synchronous answer without running it or the listener", async () => {
    let listenerRuns = 0
    let middlewareRuns = 0
    const onion: BriskMiddleware = async (_req, next) => {
      middlewareRuns++
      return next()
    }
    const fromStore = withAnswerNow(onion, (req) =>
      req.url === '/stored'
        ? {
            status: 200,
            headers: { 'content-type': 'text/plain', 'x-from': 'store' },
            body: Buffer.from('kept'),
          }
        : undefined,
    )
    const server = createServer(withBrisk(fromStore, (req, res) => (listenerRuns++, hello(req, res))))
    const stored = await request(server).get('/stored')
    expect([stored.status, stored.text, stored.headers['x-from']]).toEqual([200, 'kept', 'store'])
    expect([middlewareRuns, listenerRuns]).toEqual([0, 0])
    // No answer now: the middleware runs as usual, and the listener with it.
    const other = await request(server).get('/other')
    expect([other.status, other.text]).toEqual([200, 'hello'])
    expect([middlewareRuns, listenerRuns]).toEqual([1, 1])
  })

  it('answers 500 and reports when a synchronous answer throws', async () => {
    const reported: unknown[] = []
    const broken = withAnswerNow<BriskMiddleware>(
      async (_req, next) => next(),
      () => {
        throw new Error('attempt broke')
      },
    )
    const server = createServer(
      withBrisk(compose(broken), hello, { onError: (error) => reported.push(error) }),
    )
    const res = await request(server).get('/')
    expect([res.status, res.text]).toEqual([500, 'Internal Server Error'])
    expect(reported).toMatchObject([{ message: 'attempt broke' }])
  })

  it('lets a middleware rewrite the captured response', async () => {
    const upper: BriskMiddleware = async (_req, next) => {
      const response = await next()
      const text = Buffer.isBuffer(response.body) ? response.body.toString().toUpperCase() : ''
      return { ...response, headers: { ...response.headers, 'x-seen': 'yes' }, body: Buffer.from(text) }
    }
    const res = await request(createServer(withBrisk(compose(passThrough, upper), hello))).get('/')
    expect(res.text).toBe('HELLO')
    expect(res.headers['x-seen']).toBe('yes')
  })

  it('answers 500 and reports when the listener throws before responding', async () => {
    const reported: unknown[] = []
    const server = createServer(
      withBrisk(
        passThrough,
        () => {
          throw new Error('listener broke')
        },
        { onError: (error) => reported.push(error) },
      ),
    )
    const res = await request(server).get('/')
    expect(res.status).toBe(500)
    expect(res.text).toBe('Internal Server Error')
    expect(reported).toMatchObject([{ message: 'listener broke' }])
  })

  it('answers 500 when an async listener rejects, dropping headers it had set', async () => {
    const server = createServer(
      withBrisk(
        passThrough,
        async (_req, res) => {
          res.setHeader('Set-Cookie', 'session=secret')
          throw new Error('async broke')
        },
        { onError: () => {} },
      ),
    )
    const res = await request(server).get('/')
    expect(res.status).toBe(500)
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('answers 500 without the fields a listener set before it threw, behind a limiter alone', async () => {
    const server = createServer(
      withBrisk(
        rateLimit({ limit: 10, window: '1m' }),
        (_req, res) => {
          res.setHeader('Set-Cookie', 'session=secret')
          throw new Error('broke')
        },
        { onError: () => {} },
      ),
    )
    const res = await request(server).get('/')
    expect(res.status).toBe(500)
    expect(res.headers['set-cookie']).toBeUndefined()
    // The limiter's fields for this client stay on whatever answer is written.
    expect(res.headers['ratelimit']).toMatch(/^"default";r=9;t=\d+$/)
  })

  it('derives the client address from the socket unless proxies are trusted', async () => {
    const seen: string[] = []
    const record: BriskMiddleware = async (req, next) => {
      seen.push(req.clientAddress)
      return next()
    }
    await request(createServer(withBrisk(record, hello)))
      .get('/')
      .set('X-Forwarded-For', '203.0.113.7')
    await request(createServer(withBrisk(record, hello, { trustProxy: 'loopback' })))
      .get('/')
      .set('X-Forwarded-For', '203.0.113.7')
    await request(createServer(withBrisk(record, hello, { trustProxy: 1 })))
      .get('/')
      .set('X-Forwarded-For', '198.51.100.1, 203.0.113.8')
    expect(seen).toEqual(['127.0.0.1', '203.0.113.7', '203.0.113.8'])
  })

  it('gives the handler a request context that reaches the middleware hints', async () => {
    let tags: string[] = []
    let ttl: number | undefined
    const read: BriskMiddleware = async (req, next) => {
      const response = await next()
      tags = [...(req.hints.tags ?? [])]
      ttl = req.hints.cacheFor?.ttl
      return response
    }
    const server = createServer(
      withBrisk(read, (req, res) => {
        brisk(req).cacheFor('5m', { tags: ['post:42'] })
        brisk(res).tag('list')
        res.end('ok')
      }),
    )
    await request(server).get('/')
    expect(tags).toEqual(['post:42', 'list'])
    expect(ttl).toBe(300_000)
  })

  it('nested: the handler declarations reach both the outer and the inner middleware', async () => {
    const seen: string[][] = []
    const read: BriskMiddleware = async (req, next) => {
      const response = await next()
      seen.push([...(req.hints.tags ?? [])])
      return response
    }
    const inner = withBrisk(read, (req, res) => {
      brisk(req).tag('declared')
      res.end('ok')
    })
    await request(createServer(withBrisk(read, inner))).get('/')
    expect(seen).toEqual([['declared'], ['declared']])
  })

  it('binds no request context when a middleware answers without the listener', async () => {
    let active: boolean | undefined
    const answer: BriskMiddleware = async (req) => {
      active = brisk(req.raw!).active
      return { status: 204, headers: {}, body: null }
    }
    await request(createServer(withBrisk(answer, hello)))
      .get('/')
      .expect(204)
    expect(active).toBe(false)
  })

  it('refuses bad options at creation, naming them', () => {
    expect(() => withBrisk(passThrough, hello, { trustProxy: -1 })).toThrow(/trustProxy/)
    expect(() => withBrisk(passThrough, hello, { trustProxy: 'not-an-ip' })).toThrow(/trustProxy/)
    expect(() => withBrisk(passThrough, hello, { bufferLimit: 'lots' })).toThrow(/bufferLimit/)
    expect(() => withBrisk(passThrough, 'nope' as never)).toThrow(/listener/)
    expect(() => withBrisk('nope' as never, hello)).toThrow(/middleware/)
  })

  it('nests: an adapter inside another passes responses through unchanged, streams included', async () => {
    const inner = createServer(withBrisk(passThrough, hello))
    const outer = createServer(withBrisk(passThrough, withBrisk(passThrough, hello)))
    const plain = await request(inner).get('/')
    const nested = await request(outer).get('/')
    expect([nested.status, nested.text, nested.headers['content-length']]).toEqual([
      plain.status,
      plain.text,
      plain.headers['content-length'],
    ])
    const streaming = createServer(
      withBrisk(
        passThrough,
        withBrisk(passThrough, (_req, res) => {
          res.write('a')
          setImmediate(() => res.end('b'))
        }),
      ),
    )
    expect((await request(streaming).get('/')).text).toBe('ab')
  })

  it('when the client disconnects mid-stream, aborts the signal, settles and releases the body', async () => {
    let signal: AbortSignal | undefined
    let appSawClose!: () => void
    const closed = new Promise<void>((resolve) => (appSawClose = resolve))
    const watch: BriskMiddleware = async (req, next) => {
      signal = req.signal
      return next()
    }
    const server = createServer(
      withBrisk(watch, (_req, res) => {
        res.on('close', appSawClose)
        res.write('first')
      }),
    )
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const client = await new Promise<IncomingMessage>((resolve) =>
        httpRequest({ port, host: '127.0.0.1' }, resolve)
          .on('error', () => {})
          .end(),
      )
      await once(client, 'data')
      client.destroy()
      await closed
      await expect.poll(() => signal?.aborted).toBe(true)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
