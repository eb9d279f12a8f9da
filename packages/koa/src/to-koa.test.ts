import { once } from 'node:events'
import { createRequire } from 'node:module'
import { request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { conditional } from '@brisk/conditional'
import { compose, passThrough, withAnswerNow, type BriskMiddleware } from '@brisk/core'
import Koa from 'koa'
import koaCompress from 'koa-compress'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { brisk } from './request-context.js'
import { toKoa } from './to-koa.js'

// koa2 is an npm alias of koa@2 without types of its own; its API is the one @types/koa describes.
const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe.each([
  ['Koa 2', Koa2],
  ['Koa 3', Koa],
])('toKoa on %s', (_name, KoaApp) => {
  function appWith(handler: Koa.Middleware, middleware?: BriskMiddleware): Koa {
    const app = new KoaApp()
    app.silent = true
    if (middleware !== undefined) app.use(toKoa(middleware))
    app.use(handler)
    return app
  }

  const handlers: Record<string, Koa.Middleware> = {
    string: (ctx) => {
      ctx.body = '<p>hello</p>'
    },
    json: (ctx) => {
      ctx.body = { a: 1, list: [true, null] }
    },
    'status only': (ctx) => {
      ctx.status = 404
    },
    'explicit null': (ctx) => {
      ctx.body = null
      ctx.status = 200
    },
    'headers after body': (ctx) => {
      ctx.body = Buffer.from('bytes')
      ctx.set('X-After', 'yes')
      ctx.cookies.set('a', '1')
      ctx.cookies.set('b', '2')
    },
  }

  it.each(Object.keys(handlers))(
    'sends a %s response unchanged through an identity middleware',
    async (name) => {
      const handler = handlers[name]!
      const plain = await request(appWith(handler).callback()).get('/')
      const wrapped = await request(appWith(handler, passThrough).callback()).get('/')
      expect(wrapped.status).toBe(plain.status)
      expect(wrapped.text).toBe(plain.text)
      for (const header of ['content-type', 'content-length', 'x-after', 'set-cookie']) {
        expect([header, wrapped.headers[header]]).toEqual([header, plain.headers[header]])
      }
    },
  )

  it.each(Object.keys(handlers))(
    'answers HEAD of a %s response as Koa alone does through an identity middleware',
    async (name) => {
      const handler = handlers[name]!
      const plain = await request(appWith(handler).callback()).head('/')
      const wrapped = await request(appWith(handler, passThrough).callback()).head('/')
      expect(wrapped.status).toBe(plain.status)
      expect(wrapped.text).toBe(plain.text)
      for (const header of ['content-type', 'content-length', 'x-after', 'set-cookie']) {
        expect([header, wrapped.headers[header]]).toEqual([header, plain.headers[header]])
      }
    },
  )

  it.each(['string', 'json', 'headers after body'])(
    'shows HEAD of a %s response the bytes its GET sends, so conditional() tags both alike',
    async (name) => {
      const seen: Record<string, string | undefined> = {}
      const observe: BriskMiddleware = async (req, next) => {
        const res = await next()
        seen[req.method] = Buffer.isBuffer(res.body) ? res.body.toString('base64') : String(res.body)
        return res
      }
      const app = appWith(handlers[name]!, compose(conditional(), observe)).callback()
      const get = await request(app).get('/')
      const head = await request(app).head('/')
      expect(seen.HEAD).toBe(seen.GET)
      expect(get.headers.etag).toMatch(/^"/)
      expect(head.headers.etag).toBe(get.headers.etag)
      expect(head.headers['content-length']).toBe(get.headers['content-length'])
      expect(head.headers['content-type']).toBe(get.headers['content-type'])
      await request(app)
        .head('/')
        .set('if-none-match', get.headers.etag as string)
        .expect(304)
    },
  )

  it.each(['string', 'json'])(
    'sends a HEAD of a %s response no Content-Length when the answer has none',
    async (name) => {
      // What compress() does when the GET would be encoded: the identity length is not the GET's.
      const dropLength: BriskMiddleware = async (_req, next) => {
        const res = await next()
        delete res.headers['content-length']
        return res
      }
      const res = await request(appWith(handlers[name]!, dropLength).callback()).head('/')
      expect(res.status).toBe(200)
      expect(res.headers['content-length']).toBeUndefined()
      expect(res.headers['content-type']).toMatch(name === 'json' ? /json/ : /html/)
    },
  )

  it('sends no body for an answer without one, even of a JSON type', async () => {
    const empty: BriskMiddleware = async (_req, next) => {
      await next()
      return { status: 200, headers: { 'content-type': 'application/json' }, body: null }
    }
    const res = await request(appWith(handlers.json!, empty).callback()).get('/')
    expect(res.status).toBe(200)
    expect(res.text).toBe('')
  })

  it.each(['before', 'after'] as const)('works with koa-compress mounted %s it', async (position) => {
    const page = 'compressible text, '.repeat(1000)
    const app = new KoaApp()
    if (position === 'before') app.use(koaCompress({ threshold: 0 }))
    app.use(toKoa(passThrough))
    if (position === 'after') app.use(koaCompress({ threshold: 0 }))
    app.use((ctx) => {
      ctx.type = 'text'
      ctx.body = page
    })
    const res = await request(app.callback()).get('/').set('Accept-Encoding', 'gzip')
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.text).toBe(page)
  })

  it('lets a middleware answer without running the app', async () => {
    let runs = 0
    const answer: BriskMiddleware = async () => ({
      status: 200,
      headers: { 'x-hit': '1' },
      body: Buffer.from('cached'),
    })
    const res = await request(appWith(() => void runs++, answer).callback()).get('/')
    expect([res.status, res.text, res.headers['x-hit'], runs]).toEqual([200, 'cached', '1', 0])
  })

  it("sets a middleware's synchronous answer on ctx without running it or the app", async () => {
    let appRuns = 0
    let middlewareRuns = 0
    const onion: BriskMiddleware = async (_req, next) => (middlewareRuns++, next())
    const fromStore = withAnswerNow(onion, (req) =>
      req.url === '/' ? { status: 200, headers: { 'x-hit': 'now' }, body: Buffer.from('stored') } : undefined,
    )
    const app = appWith((ctx) => {
      appRuns++
      ctx.body = 'app'
    }, fromStore)
    const hit = await request(app.callback()).get('/')
    expect([hit.status, hit.text, hit.headers['x-hit'], middlewareRuns, appRuns]).toEqual([
      200,
      'stored',
      'now',
      0,
      0,
    ])
    const other = await request(app.callback()).get('/other')
    expect([other.text, middlewareRuns, appRuns]).toEqual(['app', 1, 1])
  })

  it('lets a synchronous answer that throws reach Koa error handling', async () => {
    const broken = withAnswerNow<BriskMiddleware>(
      async (_req, next) => next(),
      () => {
        throw Object.assign(new Error('attempt broke'), { status: 502, expose: true })
      },
    )
    const res = await request(appWith(() => {}, broken).callback()).get('/')
    expect([res.status, res.text]).toEqual([502, 'attempt broke'])
  })

  it('writes a rewritten answer back onto ctx, headers exactly', async () => {
    const rewrite: BriskMiddleware = async (_req, next) => {
      await next()
      return { status: 203, headers: { 'content-type': 'text/x-rewritten' }, body: Buffer.from('rewritten') }
    }
    const app = appWith((ctx) => {
      ctx.set('X-Gone', '1')
      ctx.body = 'original'
    }, rewrite)
    const res = await request(app.callback()).get('/')
    expect([res.status, res.text, res.headers['content-type'], res.headers['x-gone']]).toEqual([
      203,
      'rewritten',
      'text/x-rewritten',
      undefined,
    ])
  })

  it('lets an error thrown by the app reach Koa error handling', async () => {
    const app = appWith(() => {
      throw Object.assign(new Error('nope'), { status: 418, expose: true })
    }, passThrough)
    const errors: unknown[] = []
    app.on('error', (error: unknown) => errors.push(error))
    const res = await request(app.callback()).get('/')
    expect(res.status).toBe(418)
    expect(res.text).toBe('nope')
    expect(errors).toHaveLength(1)
  })

  it('uses ctx.ip, so X-Forwarded-For counts only with app.proxy', async () => {
    const seen: string[] = []
    const record: BriskMiddleware = async (req, next) => {
      seen.push(req.clientAddress)
      return next()
    }
    const app = appWith((ctx) => void (ctx.body = 'ok'), record)
    await request(app.callback()).get('/').set('X-Forwarded-For', '203.0.113.5')
    app.proxy = true
    await request(app.callback()).get('/').set('X-Forwarded-For', '203.0.113.5')
    expect(seen).toEqual([expect.stringMatching(/127\.0\.0\.1$/), '203.0.113.5'])
  })

  it('gives brisk(ctx) declarations to the middleware, and is a no-op without it', async () => {
    let ttl: number | undefined
    const read: BriskMiddleware = async (req, next) => {
      const response = await next()
      ttl = req.hints.cacheFor?.ttl
      return response
    }
    const handler: Koa.Middleware = (ctx) => {
      brisk(ctx).cacheFor('30s', { tags: ['x'] })
      ctx.body = 'ok'
    }
    await request(appWith(handler, read).callback()).get('/')
    expect(ttl).toBe(30_000)
    expect((await request(appWith(handler).callback()).get('/')).text).toBe('ok')
  })

  it('leaves a response the app wrote itself (ctx.respond = false) alone', async () => {
    const app = appWith((ctx) => {
      ctx.respond = false
      ctx.res.statusCode = 202
      ctx.res.end('raw')
    }, compose(passThrough))
    const res = await request(app.callback()).get('/')
    expect([res.status, res.text]).toEqual([202, 'raw'])
  })

  it('streams a body whose first chunk reaches the client before the app ends it', async () => {
    const body = new PassThrough()
    const app = appWith((ctx) => {
      ctx.type = 'text/event-stream'
      ctx.body = body
      body.write('data: 1\n\n')
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
    body.end('data: 2\n\n')
    const rest: Buffer[] = []
    for await (const chunk of client) rest.push(chunk as Buffer)
    expect(Buffer.concat(rest).toString()).toBe('data: 2\n\n')
  })
})

describe('toKoa on Koa 3 web bodies', () => {
  const webBodies: Record<string, Koa.Middleware> = {
    Blob: (ctx) => {
      ctx.body = new Blob(['blob body'], { type: 'text/x-blob' })
    },
    ReadableStream: (ctx) => {
      ctx.type = 'text/plain'
      ctx.body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('web '))
          controller.enqueue(new TextEncoder().encode('stream'))
          controller.close()
        },
      })
    },
    Response: (ctx) => {
      ctx.body = new Response('fetch response', { status: 201, headers: { 'x-from': 'response' } })
    },
  }

  it.each(Object.keys(webBodies))(
    'sends a %s body unchanged through an identity middleware',
    async (name) => {
      const make = (middleware?: BriskMiddleware): Koa => {
        const app = new Koa()
        if (middleware !== undefined) app.use(toKoa(middleware))
        app.use(webBodies[name]!)
        return app
      }
      const plain = await request(make().callback()).get('/').buffer(true)
      const wrapped = await request(make(passThrough).callback()).get('/').buffer(true)
      expect(plain.status).toBeLessThan(300)
      expect(wrapped.status).toBe(plain.status)
      expect(String(wrapped.text ?? wrapped.body)).toBe(String(plain.text ?? plain.body))
      for (const header of ['content-type', 'content-length', 'x-from']) {
        expect([header, wrapped.headers[header]]).toEqual([header, plain.headers[header]])
      }
    },
  )
})

describe('toKoa', () => {
  it('aborts the request signal when the client disconnects mid-response', async () => {
    let signal: AbortSignal | undefined
    const watch: BriskMiddleware = async (req, next) => {
      signal = req.signal
      return next()
    }
    const body = new PassThrough()
    const app = new Koa()
    // Koa reports the cut pipe as an error; it is the expected outcome here.
    app.silent = true
    app.use(toKoa(watch))
    app.use((ctx) => {
      ctx.body = body
      body.write('first')
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
    await expect.poll(() => signal?.aborted).toBe(true)
    await expect.poll(() => body.destroyed).toBe(true)
  })

  it('refuses something that is not a brisk middleware at creation', () => {
    expect(() => toKoa('nope' as never)).toThrow(/middleware/)
  })
})
