import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { BriskRequest } from './exchange.js'
import { createBriskRequest } from './node-request.js'
import { bindHints, requestContext } from './request-context.js'

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

describe('createBriskRequest', () => {
  it('carries method, url, headers, client address and binds its hints to the Node request', async () => {
    let seen!: BriskRequest
    const port = await serve((req, res) => {
      seen = createBriskRequest(req, res, { clientAddress: '203.0.113.9', url: '/mounted/path?q=1' })
      requestContext(req).tag('from-handler')
      res.end()
    })
    const res = await fetch(`http://127.0.0.1:${port}/path?q=1`, { headers: { 'x-test': 'yes' } })
    await res.arrayBuffer()
    expect(seen).toMatchObject({ method: 'GET', url: '/mounted/path?q=1', clientAddress: '203.0.113.9' })
    expect(seen.headers['x-test']).toBe('yes')
    expect([...seen.hints.tags!]).toEqual(['from-handler'])
  })

  it('computes a client address given as a function once, on first read only', async () => {
    let calls = 0
    let seen!: BriskRequest
    const port = await serve((req, res) => {
      seen = createBriskRequest(req, res, {
        clientAddress: () => {
          calls++
          return '198.51.100.7'
        },
      })
      res.end()
    })
    await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer()
    expect(calls).toBe(0)
    expect(seen.clientAddress).toBe('198.51.100.7')
    expect(seen.clientAddress).toBe('198.51.100.7')
    expect(calls).toBe(1)
  })

  it('aborts its signal when the client goes away before the response is complete', async () => {
    let signal!: AbortSignal
    const aborted = new Promise<void>((resolve) => {
      void serve((req, res) => {
        signal = createBriskRequest(req, res, { clientAddress: '' }).signal!
        signal.addEventListener('abort', () => resolve())
        res.flushHeaders()
      }).then((port) => {
        const client = httpRequest({ port, host: '127.0.0.1' }, (response) => response.destroy())
        client.on('error', () => {})
        client.end()
      })
    })
    await aborted
    expect(signal.aborted).toBe(true)
  })

  it('leaves its signal alone when the response completes', async () => {
    let signal!: AbortSignal
    const port = await serve((req, res) => {
      signal = createBriskRequest(req, res, { clientAddress: '' }).signal!
      res.end('done')
    })
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(await res.text()).toBe('done')
    await new Promise((resolve) => setImmediate(resolve))
    expect(signal.aborted).toBe(false)
  })

  it('shares the hints of an adapter further out on the same request', async () => {
    let outer!: BriskRequest
    let inner!: BriskRequest
    const port = await serve((req, res) => {
      outer = createBriskRequest(req, res, { clientAddress: '' })
      inner = createBriskRequest(req, res, { clientAddress: '' })
      requestContext(req).tag('seen-by-both')
      res.end()
    })
    await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer()
    expect(inner.hints).toBe(outer.hints)
    expect([...outer.hints.tags!]).toEqual(['seen-by-both'])
  })

  it('leaves the binding to the adapter when asked, so a request the app never sees binds nothing', async () => {
    let request!: BriskRequest
    let activeBefore = true
    const port = await serve((req, res) => {
      request = createBriskRequest(req, res, { clientAddress: '', bindHints: false })
      activeBefore = requestContext(req).active
      bindHints(req, request.hints)
      requestContext(req).tag('after-binding')
      res.end()
    })
    await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer()
    expect(activeBefore).toBe(false)
    expect([...request.hints.tags!]).toEqual(['after-binding'])
  })
})
