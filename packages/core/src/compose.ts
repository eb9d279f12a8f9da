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
  return function composed(req: BriskRequest, next: BriskNext): Promise<BriskResponse> {
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
}

/** The identity middleware: passes the app's response through untouched. */
export const passThrough: BriskMiddleware = (_req, next) => next()
