/**
 * `next(derived)`: a middleware passes a derived request down (the cache revalidating with its
 * stored validators); every adapter must give its header fields to the app, and leave the
 * middleware's own request as it was.
 */
import type { BriskMiddleware, BriskRequest, BriskResponse } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import type { ConformanceCase } from './cases.js'
import { FRAMEWORKS, casePath, startServer } from './servers.js'

const echo: ConformanceCase = {
  name: 'echo',
  node: (req, res) =>
    void res.end(`${req.headers['x-derived'] ?? 'none'} ${req.headers['if-none-match'] ?? '-'}`),
  express: (req, res) =>
    void res.send(`${req.get('x-derived') ?? 'none'} ${req.get('if-none-match') ?? '-'}`),
  koa: (ctx) => void (ctx.body = `${ctx.get('x-derived') || 'none'} ${ctx.get('if-none-match') || '-'}`),
  expect: { status: 200 },
}

describe.each(FRAMEWORKS)('next(derived) on %s', (framework) => {
  it.each(['middleware', 'front'] as const)(
    'gives the derived header fields to the app (%s)',
    async (mount) => {
      const seenAfter: Array<string | string[] | undefined> = []
      const derive: BriskMiddleware = async (req, next) => {
        const derived: BriskRequest = {
          ...req,
          headers: { ...req.headers, 'x-derived': 'yes', 'if-none-match': '"v9"' },
        }
        const response = await (next as (derived?: BriskRequest) => Promise<BriskResponse>)(derived)
        seenAfter.push(req.headers['x-derived'])
        return response
      }
      const server = await startServer(framework, [echo], derive, mount)
      try {
        const res = await fetch(`http://127.0.0.1:${server.port}${casePath('echo')}`)
        expect(await res.text()).toBe('yes "v9"')
        expect(seenAfter).toEqual([undefined])
      } finally {
        await server.close()
      }
    },
  )
})
