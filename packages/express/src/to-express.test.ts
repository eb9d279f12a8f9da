import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compose, passThrough, withAnswerNow, type BriskMiddleware } from '@brisk/core'
import compression from 'compression'
import morgan from 'morgan'
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { brisk } from './request-context.js'
import { toExpress } from './to-express.js'

// express4 is an npm alias of express@4 without types of its own; @types/express describes both.
const express4 = createRequire(import.meta.url)('express4') as typeof express

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe.each([
  ['Express 4', express4],
  ['Express 5', express],
])('toExpress on %s', (_name, makeApp) => {
  function appWith(
    handler: RequestHandler,
    middleware?: BriskMiddleware,
    onError?: ErrorRequestHandler,
  ): Express {
    const app = makeApp()
    if (middleware !== undefined) app.use(toExpress(middleware))
    app.get('/', handler)
    if (onError !== undefined) app.use(onError)
    return app
  }

  const handlers: Record<string, RequestHandler> = {
    send: (_req, res) => void res.send('<p>hello</p>'),
    json: (_req, res) => void res.json({ a: 1 }),
    redirect: (_req, res) => res.redirect('/elsewhere'),
    'write and end': (_req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      res.write('a')
      res.end('b')
    },
    cookies: (_req, res) => void res.cookie('a', '1').cookie('b', '2').set('X-Late', 'yes').send('ok'),
  }

  it.each(Object.keys(handlers))(
    'sends a %s response unchanged through an identity middleware',
    async (name) => {
      const handler = handlers[name]!
      const plain = await request(appWith(handler)).get('/')
      const wrapped = await request(appWith(handler, passThrough)).get('/')
      expect(wrapped.status).toBe(plain.status)
      expect(wrapped.text).toBe(plain.text)
      for (const header of ['content-type', 'etag', 'location', 'x-late', 'set-cookie']) {
        expect([header, wrapped.headers[header]]).toEqual([header, plain.headers[header]])
      }
    },
  )

  it('lets a middleware answer without running the app', async () => {
    let runs = 0
    const answer: BriskMiddleware = async () => ({
      status: 200,
      headers: { 'x-hit': '1' },
      body: Buffer.from('cached'),
    })
    const res = await request(appWith(() => void runs++, answer)).get('/')
    expect([res.status, res.text, res.headers['x-hit'], runs]).toEqual([200, 'cached', '1', 0])
  })

  it("writes a middleware's synchronous answer without running it or the app", async () => {
    let appRuns = 0
    let middlewareRuns = 0
    const onion: BriskMiddleware = async (_req, next) => (middlewareRuns++, next())
    const fromStore = withAnswerNow(onion, (req) =>
      req.url === '/' ? { status: 200, headers: { 'x-hit': 'now' }, body: Buffer.from('stored') } : undefined,
    )
    const app = appWith((_req, res) => void (appRuns++, res.send('app')), fromStore)
    app.get('/other', (_req, res) => void (appRuns++, res.send('other')))
    const hit = await request(app).get('/')
    expect([hit.status, hit.text, hit.headers['x-hit'], middlewareRuns, appRuns]).toEqual([
      200,
      'stored',
      'now',
      0,
      0,
    ])
    const other = await request(app).get('/other')
    expect([other.text, middlewareRuns, appRuns]).toEqual(['other', 1, 1])
  })

  describe('fields of an answer made without the app, read back by middleware in front of brisk', () => {
    const fromStore = withAnswerNow<BriskMiddleware>(
      async (_req, next) => next(),
      () => ({
        status: 200,
        headers: { 'x-hit': 'now', 'content-length': '6' },
        body: Buffer.from('stored'),
      }),
    )
    /** The app with `before` first, then brisk; what `before` read back once brisk answered. */
    async function readBack(
      configure: (app: Express) => void,
      options: Parameters<typeof toExpress>[1] = {},
    ): Promise<unknown[]> {
      const app = makeApp()
      const read: unknown[] = []
      configure(app)
      app.use((_req, res, next) => {
        next()
        // A synchronous answer is written before next() returns.
        read.push(res.headersSent, res.getHeader('x-hit'))
      })
      app.use(toExpress(fromStore, options))
      const res = await request(app).get('/')
      expect([res.status, res.text, res.headers['x-hit']]).toEqual([200, 'stored', 'now'])
      return read
    }

    it("are readable where Express's X-Powered-By was set first (Node keeps both)", async () => {
      expect(await readBack(() => {})).toEqual([true, 'now'])
    })

    it('go in one writeHead call, unreadable, where nothing was set and nothing watches', async () => {
      expect(await readBack((app) => app.disable('x-powered-by'))).toEqual([true, undefined])
    })

    it('are readable with observableHeaders: true', async () => {
      const read = await readBack((app) => app.disable('x-powered-by'), { observableHeaders: true })
      expect(read).toEqual([true, 'now'])
    })

    it('reach morgan in front of brisk', async () => {
      const lines: string[] = []
      let logged: () => void = () => {}
      const done = new Promise<void>((resolve) => (logged = resolve))
      await readBack((app) => {
        app.disable('x-powered-by')
        app.use(
          morgan(':status :res[content-length] :res[x-hit]', {
            stream: { write: (line: string) => void (lines.push(line.trim()), logged()) },
          }),
        )
      })
      await done
      expect(lines).toEqual(['200 6 now'])
    })
  })

  it('sends a synchronous answer that throws to Express error handling', async () => {
    const broken = withAnswerNow<BriskMiddleware>(
      async (_req, next) => next(),
      () => {
        throw new Error('attempt broke')
      },
    )
    const onError: ErrorRequestHandler = (error: Error, _req, res, _next) =>
      void res.status(502).send(error.message)
    const res = await request(appWith(() => {}, broken, onError)).get('/')
    expect([res.status, res.text]).toEqual([502, 'attempt broke'])
  })

  it('lets a middleware rewrite the captured response', async () => {
    const shout: BriskMiddleware = async (_req, next) => {
      const response = await next()
      const text = Buffer.isBuffer(response.body) ? response.body.toString().toUpperCase() : ''
      return { ...response, body: Buffer.from(text) }
    }
    const res = await request(
      appWith((_req, res) => void res.send('quiet'), compose(passThrough, shout)),
    ).get('/')
    expect(res.text).toBe('QUIET')
    expect(res.headers['content-length']).toBe('5')
  })

  it('lets an error thrown by a route reach the app error middleware', async () => {
    const onError: ErrorRequestHandler = (error: Error, _req, res, _next) => {
      res.status(503).send(`handled: ${error.message}`)
    }
    const app = appWith(
      () => {
        throw new Error('route broke')
      },
      passThrough,
      onError,
    )
    const res = await request(app).get('/')
    expect([res.status, res.text]).toEqual([503, 'handled: route broke'])
  })

  it('sends a brisk failure before the app ran to Express error handling', async () => {
    const failing: BriskMiddleware = async () => {
      throw new Error('brisk broke')
    }
    const onError: ErrorRequestHandler = (error: Error, _req, res, _next) =>
      void res.status(502).send(error.message)
    const res = await request(appWith(() => {}, failing, onError)).get('/')
    expect([res.status, res.text]).toEqual([502, 'brisk broke'])
  })

  it('uses req.ip, so the app trust proxy setting decides', async () => {
    const seen: string[] = []
    const record: BriskMiddleware = async (req, next) => {
      seen.push(req.clientAddress)
      return next()
    }
    const app = appWith((_req, res) => void res.send('ok'), record)
    await request(app).get('/').set('X-Forwarded-For', '203.0.113.5')
    app.set('trust proxy', 'loopback')
    await request(app).get('/').set('X-Forwarded-For', '203.0.113.5')
    expect(seen).toEqual([expect.stringMatching(/127\.0\.0\.1$/), '203.0.113.5'])
  })

  for (const [name, framework] of [
    ['Express 5', express],
    ['Express 4', express4],
  ] as const) {
    it(`follows the trust proxy setting a mounted ${name} app inherits from its parent`, async () => {
      const seen: string[] = []
      const record: BriskMiddleware = async (req, next) => {
        seen.push(req.clientAddress)
        return next()
      }
      const sub = framework()
      sub.use(toExpress(record))
      sub.get('/', (_req, res) => void res.send('ok'))
      const parent = framework()
      parent.set('trust proxy', 'loopback')
      parent.use('/sub', sub)
      await request(parent).get('/sub/').set('X-Forwarded-For', '203.0.113.5')
      parent.set('trust proxy', false)
      await request(parent).get('/sub/').set('X-Forwarded-For', '203.0.113.5')
      expect(seen).toEqual(['203.0.113.5', expect.stringMatching(/127\.0\.0\.1$/)])
    })
  }

  it('gives brisk(req) and brisk(res) declarations to the middleware', async () => {
    let tags: string[] = []
    const read: BriskMiddleware = async (req, next) => {
      const response = await next()
      tags = [...(req.hints.tags ?? [])]
      return response
    }
    const app = appWith((req, res) => {
      brisk(req).cacheFor('1m', { tags: ['a'] })
      brisk(res).tag('b')
      res.send('ok')
    }, read)
    await request(app).get('/')
    expect(tags).toEqual(['a', 'b'])
  })

  it('streams a response whose first write reaches the client before the app ends it', async () => {
    let finish!: () => void
    const app = appWith((_req, res) => {
      res.setHeader('Content-Type', 'text/event-stream')
      res.write('data: 1\n\n')
      finish = () => res.end('data: 2\n\n')
    }, passThrough)
    const server = app.listen(0, '127.0.0.1')
    servers.push(server)
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const client = await new Promise<IncomingMessage>((resolve) =>
      httpRequest({ port, host: '127.0.0.1' }, resolve).end(),
    )
    const [first] = (await once(client, 'data')) as [Buffer]
    expect(first.toString()).toBe('data: 1\n\n')
    finish()
    const rest: Buffer[] = []
    for await (const chunk of client) rest.push(chunk as Buffer)
    expect(Buffer.concat(rest).toString()).toBe('data: 2\n\n')
  })
})

describe('toExpress', () => {
  const page = 'compressible text, '.repeat(1000)

  it.each(['before', 'after'] as const)(
    'works with the compression package mounted %s it',
    async (position) => {
      const app = express()
      if (position === 'before') app.use(compression())
      app.use(toExpress(passThrough))
      if (position === 'after') app.use(compression())
      app.get('/', (_req, res) => void res.type('text').send(page))
      const res = await request(app).get('/').set('Accept-Encoding', 'gzip')
      expect(res.headers['content-encoding']).toBe('gzip')
      expect(res.text).toBe(page)
    },
  )

  it('passes a range request on sendFile through unchanged', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'brisk-express-')), 'file.txt')
    writeFileSync(file, '0123456789abcdef')
    const make = (withBrisk: boolean): Express => {
      const app = express()
      if (withBrisk) app.use(toExpress(passThrough))
      app.get('/', (_req, res) => res.sendFile(file))
      return app
    }
    const plain = await request(make(false)).get('/').set('Range', 'bytes=2-5')
    const wrapped = await request(make(true)).get('/').set('Range', 'bytes=2-5')
    expect([plain.status, plain.text]).toEqual([206, '2345'])
    expect([wrapped.status, wrapped.text, wrapped.headers['content-range']]).toEqual([
      206,
      '2345',
      plain.headers['content-range'],
    ])
  })

  it('aborts the request signal and releases the app when the client disconnects mid-response', async () => {
    let signal: AbortSignal | undefined
    let appSawClose!: () => void
    const closed = new Promise<void>((resolve) => (appSawClose = resolve))
    const watch: BriskMiddleware = async (req, next) => {
      signal = req.signal
      return next()
    }
    const app = express()
    app.use(toExpress(watch))
    app.get('/', (_req, res) => {
      res.on('close', appSawClose)
      res.write('first')
    })
    const server = app.listen(0, '127.0.0.1')
    servers.push(server)
    await once(server, 'listening')
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
  })

  it('gives brisk the full request target when mounted under a path', async () => {
    const urls: string[] = []
    const record: BriskMiddleware = async (req, next) => {
      urls.push(req.url)
      return next()
    }
    const app = express()
    app.use('/api', toExpress(record))
    app.get('/api/posts', (_req, res) => void res.send('posts'))
    expect((await request(app).get('/api/posts?page=2')).text).toBe('posts')
    expect(urls).toEqual(['/api/posts?page=2'])
  })

  it('shows a route its head as sent after writeHead, so error handlers do not write over it', async () => {
    const seen: boolean[] = []
    const app = express()
    app.use(toExpress(passThrough))
    app.get('/', (_req, res) => {
      seen.push(res.headersSent)
      res.writeHead(200, { 'content-type': 'text/plain' })
      seen.push(res.headersSent)
      res.end('ok')
    })
    expect((await request(app).get('/')).text).toBe('ok')
    expect(seen).toEqual([false, true])
  })

  it('refuses bad options at creation, naming them', () => {
    expect(() => toExpress('nope' as never)).toThrow(/middleware/)
    expect(() => toExpress(passThrough, { bufferLimit: 'huge' })).toThrow(/bufferLimit/)
    expect(() => toExpress(passThrough, { observableHeaders: 'yes' as never })).toThrow(/observableHeaders/)
  })
})
