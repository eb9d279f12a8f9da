/**
 * The response cache behaves as a shared cache must (RFC 9111 §3, §4.1): one client's
 * private response never reaches another, a Vary'd variant never reaches a client with
 * another value, a reflected header cannot poison the page others get when the app Varies
 * on it, and a private page does not become cacheable through a static-looking URL.
 * Everything runs through the full stack on node:http with a shared memory store.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createStack } from '@brisk/stack'
import { memoryStore } from '@brisk/cache'
import { withBrisk } from '@brisk/node'
import { afterEach, describe, expect, it } from 'vitest'
import { close, listen, send } from '../hostile/raw-http.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

let server: Server | undefined
afterEach(async () => {
  if (server !== undefined) await close(server)
  server = undefined
})

/** A full stack (cache with a 60 s ttl, compression, conditional) in front of `handler`. */
async function start(handler: Handler, options: Parameters<typeof createStack>[0] = {}): Promise<number> {
  const stack = createStack({
    cache: { ttl: '60s', store: memoryStore(), sessionCookies: ['sid'], logger: false },
    logger: false,
    ...options,
  })
  server = createServer(withBrisk(stack, handler, { logger: false }))
  return listen(server)
}

const PAD = 'x'.repeat(2000) // above the compression threshold, so codings matter

describe('private responses are never served to another client', () => {
  it.each([
    [
      'Set-Cookie, even with public max-age',
      { 'set-cookie': 'sid=alice; HttpOnly', 'cache-control': 'public, max-age=60' },
    ],
    ['Cache-Control: private', { 'cache-control': 'private, max-age=60' }],
    ['Cache-Control: no-store', { 'cache-control': 'no-store' }],
    ['private="set-cookie" naming a field', { 'cache-control': 'private="x-user", max-age=60' }],
  ])(
    'does not serve a response carrying %s to the next client',
    async (_name, headers: Record<string, string>) => {
      let calls = 0
      const port = await start((req, res) => {
        calls++
        const user = req.headers['x-user'] ?? 'anonymous'
        for (const [name, value] of Object.entries(headers))
          res.setHeader(name, value.replace('alice', String(user)))
        res.setHeader('x-user', String(user))
        res.end(`account of ${String(user)} ${PAD}`)
      })
      const alice = await send(port, '/account', { 'x-user': 'alice' })
      expect(alice.body.toString()).toContain('account of alice')
      const bob = await send(port, '/account', { 'x-user': 'bob' })
      expect(bob.body.toString()).toContain('account of bob')
      expect(JSON.stringify(bob.headers)).not.toContain('alice')
      expect(calls).toBe(2)
    },
  )

  it('does not serve what a request with Authorization got to a request without it', async () => {
    const port = await start((req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.end(
        req.headers.authorization === undefined
          ? `login page ${PAD}`
          : `secret of ${req.headers.authorization} ${PAD}`,
      )
    })
    await send(port, '/me', { authorization: 'Bearer alice' })
    await send(port, '/me', { authorization: 'Bearer alice' })
    const anonymous = await send(port, '/me')
    expect(anonymous.body.toString()).toContain('login page')
    const mallory = await send(port, '/me', { authorization: 'Bearer mallory' })
    expect(mallory.body.toString()).toContain('secret of Bearer mallory')
  })

  it('does not serve what a request with a session cookie got to a request without it', async () => {
    const port = await start((req, res) => {
      res.end(
        req.headers.cookie === undefined ? `login page ${PAD}` : `inbox of ${req.headers.cookie} ${PAD}`,
      )
    })
    await send(port, '/inbox', { cookie: 'sid=alice' })
    expect((await send(port, '/inbox')).body.toString()).toContain('login page')
    expect((await send(port, '/inbox', { cookie: 'sid=bob' })).body.toString()).toContain('inbox of sid=bob')
  })
})

describe('Vary is honoured', () => {
  it('never gives the response made for one Accept-Language to a client with another', async () => {
    const port = await start((req, res) => {
      res.setHeader('vary', 'Accept-Language')
      res.setHeader('cache-control', 'public, max-age=60')
      res.end(`${req.headers['accept-language'] === 'fr' ? 'bonjour' : 'hello'} ${PAD}`)
    })
    for (let round = 0; round < 2; round++) {
      expect((await send(port, '/greet', { 'accept-language': 'fr' })).body.toString()).toMatch(/^bonjour/)
      expect((await send(port, '/greet', { 'accept-language': 'en' })).body.toString()).toMatch(/^hello/)
      expect((await send(port, '/greet')).body.toString()).toMatch(/^hello/)
    }
  })

  it('never gives a compressed body to a client that did not accept that coding', async () => {
    const port = await start((_req, res) => {
      res.setHeader('content-type', 'text/html')
      res.setHeader('cache-control', 'public, max-age=60')
      res.end(`<p>${PAD}</p>`)
    })
    const orders: [string, string | undefined][] = [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['identity', undefined],
      ['', undefined],
      ['gzip, br', 'br'],
      ['deflate', 'deflate'],
    ]
    for (let round = 0; round < 2; round++) {
      for (const [accept, coding] of orders) {
        const response = await send(port, '/page', { 'accept-encoding': accept })
        expect(response.headers['content-encoding'], accept).toBe(coding)
        expect(response.body.toString()).toBe(`<p>${PAD}</p>`)
      }
    }
  })
})

describe('unkeyed request headers the app reflects', () => {
  it('cannot poison the page others get when the app Varies on the header it reflects', async () => {
    const port = await start((req, res) => {
      const host = req.headers['x-forwarded-host'] ?? 'example.com'
      res.setHeader('vary', 'X-Forwarded-Host')
      res.setHeader('cache-control', 'public, max-age=60')
      res.end(`<script src="https://${String(host)}/app.js"></script> ${PAD}`)
    })
    await send(port, '/', { 'x-forwarded-host': 'evil.example' })
    await send(port, '/', { 'x-forwarded-host': 'evil.example' })
    const victim = await send(port, '/')
    expect(victim.body.toString()).toContain('https://example.com/app.js')
  })

  it('keeps hosts apart when the key function includes the header', async () => {
    const port = await start(
      (req, res) => {
        res.setHeader('cache-control', 'public, max-age=60')
        res.end(`host ${String(req.headers['x-forwarded-host'] ?? 'example.com')} ${PAD}`)
      },
      {
        cache: {
          ttl: '60s',
          store: memoryStore(),
          logger: false,
          key: (req) => `${String(req.headers['x-forwarded-host'] ?? '')} ${req.url}`,
        },
      },
    )
    await send(port, '/', { 'x-forwarded-host': 'evil.example' })
    expect((await send(port, '/')).body.toString()).toMatch(/^host example\.com/)
  })
})

describe('path confusion', () => {
  /** A personal handler mounted on /account/* that ignores the rest of the path. */
  const account: Handler = (req, res) => {
    const cookie = req.headers.cookie
    res.setHeader('content-type', 'text/html')
    if (cookie === undefined) {
      res.end(`please log in ${PAD}`)
      return
    }
    res.setHeader('cache-control', 'private')
    res.end(`account of ${cookie} ${PAD}`)
  }

  it('a Cache-Control rule for *.css does not make /account/x.css (a private page) cacheable', async () => {
    const port = await start(account, {
      cache: { ttl: '60s', store: memoryStore(), logger: false },
      cacheControl: { rules: [{ path: '/**/*.css', cacheControl: 'public, max-age=3600' }] },
    })
    await send(port, '/account/x.css', { cookie: 'victim=1' })
    const attacker = await send(port, '/account/x.css')
    expect(attacker.body.toString()).toContain('please log in')
  })

  it('a session cookie keeps /account/x.css out of the cache even when the handler forgot Cache-Control', async () => {
    const port = await start(
      (req, res) => {
        res.end(
          req.headers.cookie === undefined
            ? `please log in ${PAD}`
            : `account of ${req.headers.cookie} ${PAD}`,
        )
      },
      {
        cacheControl: { rules: [{ path: '/**/*.css', cacheControl: 'public, max-age=3600' }] },
      },
    )
    await send(port, '/account/x.css', { cookie: 'sid=victim' })
    const attacker = await send(port, '/account/x.css')
    expect(attacker.body.toString()).toContain('please log in')
  })
})
