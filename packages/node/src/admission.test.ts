import type { ServerResponse } from 'node:http'
import { createServer, type IncomingMessage } from 'node:http'
import { admissionMiddleware, BriskMetrics, type Admission } from '@brisk/core'
import { rateLimit } from '@brisk/ratelimit'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { withBrisk } from './with-brisk.js'

const reportWrite = (_req: IncomingMessage, res: ServerResponse): void => {
  // The listener writes to the real response: nothing displaced its methods to capture them.
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ captured: Object.prototype.hasOwnProperty.call(res, 'write') }))
}

describe('withBrisk with an admission middleware', () => {
  it('adds its fields and runs the listener without capturing its response', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m', metrics: new BriskMetrics() })
    const server = createServer(withBrisk(limiter, reportWrite))
    const res = await request(server).get('/').expect(200)
    expect(res.body).toEqual({ captured: false })
    expect(res.headers['ratelimit-policy']).toBe('"default";q=1;w=60')
    const refused = await request(server).get('/').expect(429)
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)
  })

  it('answers 500 and reports when the listener throws, or the decision fails', async () => {
    const reported: string[] = []
    let fail = false
    const admit = async (): Promise<Admission> => {
      await new Promise((resolve) => setImmediate(resolve))
      if (fail) throw new Error('decision failed')
      return { headers: undefined }
    }
    const listener = async (): Promise<void> => {
      throw new Error('listener failed')
    }
    const server = createServer(
      withBrisk(admissionMiddleware(admit), listener, {
        onError: (error) => reported.push((error as Error).message),
      }),
    )
    await request(server).get('/').expect(500)
    fail = true
    await request(server).get('/').expect(500)
    expect(reported).toEqual(['listener failed', 'decision failed'])
  })

  it("keeps what an outer listener set on a refusal: its CORS field, an outer limiter's members", async () => {
    const inner = rateLimit({ name: 'inner', limit: 1, window: '1m', metrics: new BriskMetrics() })
    const outer = rateLimit({ name: 'outer', limit: 10, window: '1m', metrics: new BriskMetrics() })
    const limited = withBrisk(inner, reportWrite)
    const server = createServer(
      withBrisk(outer, (req, res) => {
        res.setHeader('access-control-allow-origin', '*')
        limited(req, res)
      }),
    )
    await request(server).get('/').expect(200)
    const refused = await request(server).get('/').expect(429)
    expect(refused.headers['access-control-allow-origin']).toBe('*')
    expect(refused.headers['ratelimit-policy']).toBe('"outer";q=10;w=60, "inner";q=1;w=60')
    expect(refused.headers.ratelimit).toMatch(/^"outer";r=8;t=\d+, "inner";r=0;t=\d+$/)
  })
})
