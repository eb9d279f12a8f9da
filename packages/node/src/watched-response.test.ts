import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createServer, ServerResponse, type IncomingMessage } from 'node:http'
import { BriskMetrics } from '@brisk/core'
import morgan from 'morgan'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { front, type FrontOptions } from './front.js'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

/** A front listener over a one-page app, cached for 30 s. */
function fronted(options: FrontOptions = {}): Listener {
  return front(
    (_req, res) => {
      res.setHeader('content-type', 'text/plain')
      res.end('page '.repeat(100))
    },
    { logger: false, metrics: new BriskMetrics(), cache: { ttl: '30s' }, ...options },
  )
}

/** What wrappers read from responses, in order; `nth(i)` waits until the i-th (from 0) arrived. */
class Seen {
  private readonly values: unknown[] = []
  private readonly waiting = new Map<number, (value: unknown) => void>()
  push = (value: unknown): void => {
    const index = this.values.push(value) - 1
    this.waiting.get(index)?.(value)
  }
  nth(index: number): Promise<unknown> {
    if (index < this.values.length) return Promise.resolve(this.values[index])
    return new Promise((resolve) => this.waiting.set(index, resolve))
  }
}

/** Serves `/a` twice through `wrap`; returns the hit's client-side fields. */
async function hitThrough(wrap: (listener: Listener) => Listener, listener = fronted()) {
  const server = createServer(wrap(listener))
  await request(server).get('/a').expect(200)
  const hit = await request(server).get('/a').expect(200)
  expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=/)
  return hit.headers
}

describe("observableHeaders: 'auto' (the default)", () => {
  it('writes an unwatched hit in one writeHead call: res.getHeader() does not see its fields', async () => {
    const read: unknown[] = []
    await hitThrough((listener) => (req, res) => {
      listener(req, res)
      // A memory hit is written before the listener returns.
      read.push(res.headersSent, res.getHeader('cache-status'))
    })
    expect(read.slice(2)).toEqual([true, undefined])
  })

  it('with observableHeaders: true, the same unwatched hit is readable', async () => {
    const read: unknown[] = []
    const headers = await hitThrough(
      (listener) => (req, res) => {
        listener(req, res)
        read.push(res.getHeader('cache-status'))
      },
      fronted({ observableHeaders: true }),
    )
    expect(read[1]).toBe(headers['cache-status'])
  })

  it.each<[string, (res: ServerResponse, seen: Seen) => void]>([
    [
      "a 'finish' listener",
      (res, seen) => res.once('finish', () => seen.push(res.getHeader('cache-status'))),
    ],
    ["a 'close' listener", (res, seen) => res.once('close', () => seen.push(res.getHeader('cache-status')))],
    [
      'writeHead replaced on the response',
      (res, seen) => {
        const writeHead = res.writeHead
        res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
          seen.push(this.getHeader('cache-status'))
          return writeHead.apply(this, args)
        } as ServerResponse['writeHead']
      },
    ],
    [
      'end replaced on the response',
      (res, seen) => {
        const end = res.end
        res.end = function (this: ServerResponse, ...args: unknown[]) {
          const result = (end as (...a: unknown[]) => ServerResponse).apply(this, args)
          seen.push(this.getHeader('cache-status'))
          return result
        } as ServerResponse['end']
      },
    ],
  ])('sets the fields one by one on a response something watches: %s', async (_name, watch) => {
    const seen = new Seen()
    const headers = await hitThrough((listener) => (req, res) => {
      watch(res, seen)
      listener(req, res)
    })
    expect(await seen.nth(1)).toBe(headers['cache-status'])
  })

  it("sees writeHead replaced on Node's prototype (an APM agent loaded after brisk)", async () => {
    const seen = new Seen()
    const proto = ServerResponse.prototype
    const writeHead = proto.writeHead
    proto.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      seen.push(this.getHeader('cache-status'))
      return writeHead.apply(this, args)
    } as ServerResponse['writeHead']
    try {
      const headers = await hitThrough((listener) => listener)
      expect(await seen.nth(1)).toBe(headers['cache-status'])
    } finally {
      proto.writeHead = writeHead
    }
  })

  it('keeps the fields readable, in one writeHead call, where a field was set before', async () => {
    const read: unknown[] = []
    const headers = await hitThrough((listener) => (req, res) => {
      res.setHeader('x-request-id', 'r1')
      listener(req, res)
      read.push(res.getHeader('x-request-id'), res.getHeader('cache-status'))
    })
    expect(headers['x-request-id']).toBe('r1')
    expect(read.slice(2)).toEqual(['r1', headers['cache-status']])
  })

  it("sees a subscriber of Node's http.server.response.finish channel", async () => {
    const seen = new Seen()
    const onFinish = (message: unknown): void => {
      seen.push((message as { response: ServerResponse }).response.getHeader('cache-status'))
    }
    subscribe('http.server.response.finish', onFinish)
    try {
      const headers = await hitThrough((listener) => listener)
      expect(await seen.nth(1)).toBe(headers['cache-status'])
    } finally {
      unsubscribe('http.server.response.finish', onFinish)
    }
  })

  it("logs a hit's fields through morgan wrapped around the front listener", async () => {
    const lines = new Seen()
    const log = morgan(':status :res[content-length] :res[cache-status]', {
      stream: { write: (line: string) => lines.push(line.trim()) },
    })
    const headers = await hitThrough((listener) => (req, res) => {
      log(req, res, () => listener(req, res))
    })
    // morgan logs once the response finished, which may come after supertest has it.
    expect(await lines.nth(1)).toBe(`200 ${headers['content-length']} ${headers['cache-status']}`)
  })
})
