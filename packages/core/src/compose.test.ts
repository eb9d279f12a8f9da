import { describe, expect, it } from 'vitest'
import { compose } from './compose.js'
import type { BriskMiddleware, BriskRequest, BriskResponse } from './exchange.js'

const request: BriskRequest = { method: 'GET', url: '/', headers: {}, clientAddress: '127.0.0.1', hints: {} }
const app = async (): Promise<BriskResponse> => ({ status: 200, headers: {}, body: Buffer.from('app') })

describe('compose', () => {
  it('runs middlewares outermost first and unwinds in reverse', async () => {
    const order: string[] = []
    const tracer =
      (name: string): BriskMiddleware =>
      async (_req, next) => {
        order.push(`${name} in`)
        const response = await next()
        order.push(`${name} out`)
        return response
      }
    await compose(tracer('a'), tracer('b'), tracer('c'))(request, app)
    expect(order).toEqual(['a in', 'b in', 'c in', 'c out', 'b out', 'a out'])
  })

  it('lets a middleware answer without calling the app', async () => {
    let appCalls = 0
    const answer: BriskMiddleware = async () => ({ status: 204, headers: {}, body: null })
    const response = await compose(answer)(request, async () => {
      appCalls++
      return app()
    })
    expect(response.status).toBe(204)
    expect(appCalls).toBe(0)
  })

  it('rejects a middleware that calls next twice', async () => {
    const twice: BriskMiddleware = async (_req, next) => {
      await next()
      return next()
    }
    await expect(compose(twice, async (_r, n) => n())(request, app)).rejects.toThrow(/more than once/)
  })

  it('turns a synchronous throw into a rejection', async () => {
    const throws: BriskMiddleware = () => {
      throw new Error('boom')
    }
    await expect(compose(throws, throws)(request, app)).rejects.toThrow('boom')
  })

  it('refuses something that is not a middleware at creation', () => {
    expect(() => compose('nope' as unknown as BriskMiddleware)).toThrow(/argument 0/)
  })

  it('with no middleware calls the app', async () => {
    const response = await compose()(request, app)
    expect(response.body).toEqual(Buffer.from('app'))
  })
})

describe('compose with derived requests', () => {
  const derive =
    (name: string): BriskMiddleware =>
    (req, next) =>
      next({ ...req, headers: { ...req.headers, [name]: 'yes' } })

  it('hands a derived request to the inner middlewares and to the app', async () => {
    const seen: string[] = []
    const inner: BriskMiddleware = async (req, next) => {
      seen.push(Object.keys(req.headers).sort().join(','))
      return next()
    }
    let appRequest: BriskRequest | undefined
    await compose(
      derive('x-a'),
      inner,
      derive('x-b'),
    )(request, async (req) => {
      appRequest = req
      return app()
    })
    expect(seen).toEqual(['x-a'])
    expect(appRequest?.headers).toEqual({ 'x-a': 'yes', 'x-b': 'yes' })
  })

  it('calls the app with no argument when nobody derived a request', async () => {
    const args: unknown[][] = []
    await compose(
      async (_r, n) => n(),
      async (_r, n) => n(),
    )(request, async (...received: unknown[]) => {
      args.push(received)
      return app()
    })
    expect(args).toEqual([[]])
  })
})
