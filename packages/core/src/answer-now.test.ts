import { describe, expect, it } from 'vitest'
import { answerNowOf, NOTHING_BELOW, withAnswerNow, type AnswerNow } from './answer-now.js'
import { compose } from './compose.js'
import type { BriskMiddleware, BriskRequest, BriskResponse } from './exchange.js'

const request: BriskRequest = { method: 'GET', url: '/', headers: {}, clientAddress: '127.0.0.1', hints: {} }
const passing: BriskMiddleware = async (_req, next) => next()
const hit = (): BriskResponse => ({ status: 200, headers: {}, body: Buffer.from('hit') })

/** A layer that adds `x-<name>: 1` to what comes from below, both ways. */
function decorating(name: string, order: string[]): BriskMiddleware {
  const middleware: BriskMiddleware = async (_req, next) => {
    const response = await next()
    response.headers[`x-${name}`] = '1'
    return response
  }
  return withAnswerNow(middleware, (_req, inner) => {
    order.push(name)
    const response = inner()
    if (response !== undefined) response.headers[`x-${name}`] = '1'
    return response
  })
}

function answering(order: string[]): BriskMiddleware {
  const middleware: BriskMiddleware = async () => hit()
  return withAnswerNow(middleware, () => {
    order.push('store')
    return hit()
  })
}

describe('answerNow', () => {
  it('is found only on the middleware it was registered for, not on a copy of its properties', () => {
    const attempt: AnswerNow = () => undefined
    const middleware = withAnswerNow(async (_req, next) => next(), attempt)
    expect(answerNowOf(middleware)).toBe(attempt)
    const wrapper: BriskMiddleware = Object.assign(async () => hit(), middleware)
    expect(answerNowOf(wrapper)).toBeUndefined()
  })

  it('compose runs the attempts outermost first, each over the answer from below', () => {
    const order: string[] = []
    const stack = compose(decorating('a', order), decorating('b', order), answering(order), passing)
    const response = answerNowOf(stack)?.(request, NOTHING_BELOW)
    expect(order).toEqual(['a', 'b', 'store'])
    expect(response?.headers).toEqual({ 'x-a': '1', 'x-b': '1' })
  })

  it('compose stops at a layer without an attempt: what it does to an answer needs a promise', () => {
    const order: string[] = []
    const stack = compose(decorating('a', order), passing, answering(order))
    expect(answerNowOf(stack)?.(request, NOTHING_BELOW)).toBeUndefined()
    expect(order).toEqual(['a'])
  })

  it('compose has no attempt when its first layer has none', () => {
    expect(answerNowOf(compose(passing, answering([])))).toBeUndefined()
  })

  it('below the last layer comes the adapter: nothing answers there without the app', () => {
    const order: string[] = []
    const stack = compose(decorating('a', order), decorating('b', order))
    expect(answerNowOf(stack)?.(request, NOTHING_BELOW)).toBeUndefined()
    expect(order).toEqual(['a', 'b'])
  })
})
