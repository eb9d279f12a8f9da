import type { BriskMiddleware, BriskRequest, BriskResponse } from './exchange.js'

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
  return function composed(req: BriskRequest, next: () => Promise<BriskResponse>): Promise<BriskResponse> {
    let called = -1
    const dispatch = (index: number): Promise<BriskResponse> => {
      if (index <= called)
        return Promise.reject(new Error('brisk: next() called more than once by one middleware'))
      called = index
      const middleware = middlewares[index]
      if (middleware === undefined) return next()
      try {
        return middleware(req, () => dispatch(index + 1))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    return dispatch(0)
  }
}

/** The identity middleware: passes the app's response through untouched. */
export const passThrough: BriskMiddleware = (_req, next) => next()
