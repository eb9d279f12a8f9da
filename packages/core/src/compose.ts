import { answerNowOf, withAnswerNow, type AnswerNow } from './answer-now.js'
import type { BriskMiddleware, BriskNext, BriskRequest, BriskResponse } from './exchange.js'

/**
 * Makes one middleware of many, so an adapter pays its translation cost once for the
 * whole stack rather than once per concern. Order is outermost first, as with `app.use`.
 */
export function compose(...middlewares: BriskMiddleware[]): BriskMiddleware {
  for (const [index, middleware] of middlewares.entries()) {
    if (typeof middleware !== 'function') {
      throw new TypeError(
        `compose(): argument ${index} must be a brisk middleware function, got ${typeof middleware}`,
      )
    }
  }
  if (middlewares.length === 1) return middlewares[0] as BriskMiddleware
  const composed = function composed(req: BriskRequest, next: BriskNext): Promise<BriskResponse> {
    let called = -1
    const dispatch = (index: number, request: BriskRequest): Promise<BriskResponse> => {
      if (index <= called)
        return Promise.reject(new Error('brisk: next() called more than once by one middleware'))
      called = index
      const middleware = middlewares[index]
      if (middleware === undefined) return request === req ? next() : next(request)
      try {
        return middleware(request, (derived) => dispatch(index + 1, derived ?? request))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    return dispatch(0, req)
  }
  const attempts = middlewares.map(answerNowOf)
  return attempts[0] === undefined ? composed : withAnswerNow(composed, attemptsInOrder(attempts))
}

/**
 * The layers' synchronous attempts run as the onion runs them: each with the attempt of the
 * layers below as its `inner`. A layer without one ends the attempt there (`undefined`): a
 * response from below must not skip its work, and it cannot do that work without a promise.
 */
function attemptsInOrder(attempts: readonly (AnswerNow | undefined)[]): AnswerNow {
  const from = (
    index: number,
    req: BriskRequest,
    inner: () => BriskResponse | undefined,
  ): BriskResponse | undefined => {
    if (index === attempts.length) return inner()
    const attempt = attempts[index]
    return attempt === undefined ? undefined : attempt(req, () => from(index + 1, req, inner))
  }
  return (req, inner) => from(0, req, inner)
}

/** The identity middleware: passes the app's response through untouched. */
export const passThrough: BriskMiddleware = (_req, next) => next()
