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
})
