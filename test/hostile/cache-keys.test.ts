/**
 * Odd request targets and oversized values against the response cache on node:http: every
 * URL is keyed as itself (an encoded slash, `..`, unicode and 8 KB query strings never share
 * an entry with another URL), 16 KB header values get a correct answer, and thousands of
 * distinct query strings keep the memory store within its byte bound.
 */
import { createServer, type Server } from 'node:http'
import { cache, memoryStore, type MemoryStore } from '@brisk/cache'
import { compose } from '@brisk/core'
import { compress } from '@brisk/compress'
import { withBrisk } from '@brisk/node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, listen, send, sendRaw } from './raw-http.js'

const STORE_BYTES = 256 * 1024

let server: Server
let port: number
let store: MemoryStore
let appCalls = 0

/** The app echoes the request target it saw, so a body tells which URL it was made for. */
beforeAll(async () => {
  store = memoryStore({ maxSize: STORE_BYTES })
  const middleware = compose(cache({ ttl: '5m', store, logger: false }), compress())
  server = createServer(
    { maxHeaderSize: 64 * 1024 },
    withBrisk(
      middleware,
      (req, res) => {
        appCalls++
        res.setHeader('content-type', 'text/plain; charset=utf-8')
        res.end(`${req.url ?? ''}\n${'.'.repeat(1000)}`)
      },
      { logger: false },
    ),
  )
  port = await listen(server)
})

afterAll(async () => {
  await close(server)
})

function echoed(body: Buffer): string {
  return sameResource(body.toString('utf8').split('\n')[0] ?? '')
}

/**
 * The target a page may be shared with. The cache's documented key drops an empty query
 * (`/a/b?` is `/a/b`) and the fragment never reaches a server; everything else (encoded
 * slashes, case of percent-escapes, dot segments, order of repeated names) stays distinct.
 */
function sameResource(target: string): string {
  const path = target.split('#')[0] ?? ''
  return path.endsWith('?') ? path.slice(0, -1) : path
}

describe('cache keys for odd request targets', () => {
  const targets = [
    '/a/b',
    '/a%2Fb',
    '/a%2fb',
    '/a/./b',
    '/a/../b',
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/a//b',
    '/a/b/',
    '/a/b?',
    '/a/b?x=1',
    '/a/b?x=1&x=2',
    '/a/b?x=2&x=1',
    '/a/b#frag',
    '/%E2%9C%93',
    '/%e2%9c%93',
    '/%00',
    '/%ZZ',
    '/a%20b',
    '/a+b',
    `/q?${'k=v&'.repeat(2047)}z=1`,
    `/q?${'k=v&'.repeat(2047)}z=2`,
    `/${'x'.repeat(8000)}`,
    '*',
  ]

  it.each(targets.map((target) => [target.slice(0, 60), target]))(
    'answers %s with its own page, twice (the second from the cache when it was stored)',
    async (_label, target) => {
      for (let i = 0; i < 2; i++) {
        const response = await send(port, target)
        expect(response.status).toBeLessThan(500)
        if (response.status === 200) expect(echoed(response.body)).toBe(sameResource(target))
      }
    },
  )

  it('never answers one target with the page of another, whatever order they come in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(targets, { minLength: 2 }), async (order) => {
        for (const target of order) {
          const response = await send(port, target)
          if (response.status === 200) expect(echoed(response.body)).toBe(sameResource(target))
        }
      }),
      { numRuns: 20 },
    )
  })

  it.each([
    ['raw UTF-8 in the path', '/caf\u00e9/\u2713'],
    ['a NUL byte', '/a\u0000b'],
    ['a backslash traversal', '/..\\..\\windows'],
    ['an absolute-form target', 'http://evil.example/a'],
  ])('answers a request head with %s (no crash, no hang)', async (_label, target) => {
    const head = Buffer.concat([
      Buffer.from('GET '),
      Buffer.from(target, 'utf8'),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ])
    const { status } = await sendRaw(port, head)
    expect(status).toBeGreaterThanOrEqual(200)
    expect(status).toBeLessThan(500)
  })
})

describe('oversized header values', () => {
  const big = (unit: string) => unit.repeat(Math.ceil((16 * 1024) / unit.length)).slice(0, 16 * 1024)

  it.each([
    ['accept-encoding', big('gzip, ')],
    ['cache-control', big('max-age=1, ')],
    ['pragma', big('no-cache ')],
    ['if-none-match', big('"a", ')],
    ['if-modified-since', big('x')],
    ['cookie', big('a=b; ')],
    ['authorization', big('Bearer ')],
    ['user-agent', big('Mozilla ')],
    ['x-forwarded-for', big('10.0.0.1, ')],
  ])('answers a 16 KB %s correctly', async (name, value) => {
    const response = await send(port, '/big-header', { [name]: value })
    expect(response.status).toBe(200)
    expect(echoed(response.body)).toBe('/big-header')
  })
})

describe('the memory bound under many distinct URLs', () => {
  it(`keeps the store within ${STORE_BYTES} bytes through 3000 distinct query strings`, async () => {
    const before = appCalls
    let largest = 0
    for (let i = 0; i < 3000; i++) {
      const response = await send(port, `/flood?n=${i}&pad=${'p'.repeat(i % 500)}`)
      expect(response.status).toBe(200)
      largest = Math.max(largest, store.size)
    }
    expect(appCalls - before).toBe(3000)
    expect(largest).toBeLessThanOrEqual(STORE_BYTES)
    expect(store.size).toBeGreaterThan(STORE_BYTES / 2) // it did fill up: the bound was exercised
    expect(store.entries).toBeLessThan(3000)
  })
})
