/**
 * Test support, not part of the package surface: serves one brisk middleware over a real
 * `node:http` socket with the plainest possible translation (no capture, no framework), so
 * the HTTP tests of this package do not depend on an adapter package.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { BriskMiddleware, BriskRequest, BriskResponse } from '@brisk/core'

/** The app behind the middleware: answers a request with a response. */
export type TestHandler = (req: BriskRequest) => BriskResponse | Promise<BriskResponse>

export function toBriskRequest(raw: IncomingMessage): BriskRequest {
  return {
    method: raw.method ?? 'GET',
    url: raw.url ?? '/',
    headers: raw.headers,
    clientAddress: raw.socket.remoteAddress ?? '',
    hints: {},
    raw,
  }
}

export function serve(middleware: BriskMiddleware, handler: TestHandler): Server {
  return createServer((raw, res) => {
    const req = toBriskRequest(raw)
    middleware(req, async () => handler(req)).then(
      (response) => {
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) res.setHeader(name, value)
        }
        res.statusCode = response.status
        const body = response.body
        if (body === null) res.end()
        else if (Buffer.isBuffer(body)) res.end(body)
        else body.pipe(res)
      },
      (error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      },
    )
  })
}
