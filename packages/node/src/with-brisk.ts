import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  answerNowOf,
  beforeApp,
  BriskOptionError,
  captureResponse,
  createBriskRequest,
  headSent,
  isAdmission,
  isPromise,
  NOTHING_BELOW,
  parseSize,
  removeAppFields,
  resolveLogger,
  setAdmissionHeaders,
  withEarlierHeaders,
  writeResponse,
  type Admission,
  type BriskLogger,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
  type ResponseCapture,
  type Size,
} from '@brisk/core'
import { compileClientAddress, type ClientAddressOf, type TrustProxy } from './client-address.js'
import { answerWriter } from './watched-response.js'

/** A `node:http` request listener, sync or async. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown

/** Options of {@link withBrisk}. */
export interface NodeAdapterOptions {
  /** Proxies trusted for `X-Forwarded-For` (Express `trust proxy` forms). Default `false`: the socket address. */
  trustProxy?: TrustProxy
  /** Computes the client address itself (front mode reads the framework's own proxy trust this way); replaces `trustProxy`. */
  clientAddress?: ClientAddressOf
  /** Response bytes buffered before the capture streams instead. Default `'1 MB'`. */
  bufferLimit?: Size
  /** Told when the listener or a brisk middleware fails (after brisk answered 500 or cut the response). */
  onError?: (error: unknown, req: IncomingMessage) => void
  /** pino-compatible logger for failures when no `onError` is given; `false` silences it. */
  logger?: BriskLogger | false
  /**
   * How answers made without the listener (hits, stored 304s, 429s) set their fields.
   * `true`: through `res.setHeader`, so code wrapping this listener (a request logger) reads
   * them with `res.getHeader()` once the answer is sent. `false`: when nothing set a field
   * before, the head goes out in one `res.writeHead` call, about 8% fewer instructions per hit
   * (callgrind, 45 KB page), invisible to `res.getHeader()`. `'auto'`: `true` for a response
   * something watches (a `finish` listener besides Node's own, a `close` listener,
   * `end`/`write`/`writeHead` replaced on it, a subscriber of Node's
   * `http.server.response.finish` channel: `isResponseWatched`), `false` otherwise. Default `'auto'`.
   */
  observableHeaders?: boolean | 'auto'
}

const INTERNAL_ERROR: BriskResponse = {
  status: 500,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': '21' },
  body: Buffer.from('Internal Server Error'),
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

/**
 * Wraps a `node:http` request listener with a brisk middleware:
 * `http.createServer(withBrisk(compose(...), listener))`. The middleware sees every request
 * first and may answer without calling the listener; otherwise what the listener writes is
 * captured (streamed through when it streams) and passed back through the middleware.
 *
 * node:http has no error handling of its own, so a listener that throws (or rejects) gets a
 * 500 when nothing was sent yet and a cut connection otherwise, and `onError` is told.
 */
export function withBrisk(
  middleware: BriskMiddleware,
  listener: NodeListener,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  if (typeof middleware !== 'function') {
    throw new BriskOptionError('middleware', middleware, 'a brisk middleware function (e.g. compose(...))')
  }
  if (typeof listener !== 'function') {
    throw new BriskOptionError('listener', listener, 'a node:http request listener (req, res) => void')
  }
  if (options.clientAddress !== undefined && typeof options.clientAddress !== 'function') {
    throw new BriskOptionError('clientAddress', options.clientAddress, 'a function (req) => string')
  }
  const clientAddress = options.clientAddress ?? compileClientAddress(options.trustProxy)
  const bufferLimit = parseSize(options.bufferLimit ?? '1 MB', 'bufferLimit')
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new BriskOptionError('onError', options.onError, 'a function (error, req) => void')
  }
  // An answer made without the listener: field by field, or the head in one call (see the option).
  const answerWith = answerWriter(options.observableHeaders ?? 'auto')
  const logger = options.onError === undefined ? resolveLogger(options.logger) : undefined
  const report =
    options.onError ??
    ((error: unknown, req: IncomingMessage) =>
      logger?.error({ err: error, url: req.url }, 'brisk: request failed'))

  const failed = (error: unknown, req: IncomingMessage, res: ServerResponse): void => {
    // A client that went away needs no answer, and its absence is not a failure.
    if (res.destroyed) return
    if (headSent(res)) res.destroy()
    else {
      // An answer made without a capture keeps what is on `res`: here the listener may have set
      // fields before it failed.
      removeAppFields(res)
      void writeResponse(res, { ...INTERNAL_ERROR, headers: { ...INTERNAL_ERROR.headers } })
    }
    report(error, req)
  }

  if (isAdmission(middleware)) {
    // Only admits (a rate limiter): the listener runs without a capture of its response.
    const admit = middleware.admit
    const apply = (req: IncomingMessage, res: ServerResponse, admission: Admission): void => {
      if (res.headersSent || res.writableEnded) return
      if ('response' in admission) {
        // As on Express and Koa: what was set before (an outer listener's CORS fields, an outer
        // limiter's RateLimit members) stays on the refusal.
        void answerWith(res, withEarlierHeaders(res, admission.response))
        return
      }
      setAdmissionHeaders(res, admission.headers)
      try {
        const result = listener(req, res)
        if (isThenable(result)) result.then(undefined, (error: unknown) => failed(error, req, res))
      } catch (error) {
        failed(error, req, res)
      }
    }
    return function briskListener(req: IncomingMessage, res: ServerResponse): void {
      const request = createBriskRequest(req, res, {
        clientAddress,
        bindHints: false,
      })
      let admission: Admission | Promise<Admission>
      try {
        admission = admit(request)
      } catch (error) {
        failed(error, req, res)
        return
      }
      if (!isPromise(admission)) apply(req, res, admission)
      else
        admission.then(
          (settled) => apply(req, res, settled),
          (error: unknown) => failed(error, req, res),
        )
    }
  }

  // A stale-while-revalidate refresh goes through this very listener, brisk included: the cache
  // in it sees the refresh, forwards it and stores the answer.
  const refreshVia = (): NodeListener => briskListener
  // Answers the stack can give at once (a fresh hit in memory) are written without a promise.
  const answerNow = answerNowOf(middleware)
  return briskListener
  function briskListener(req: IncomingMessage, res: ServerResponse): void {
    // Hints are bound when the listener is called, not before: a hit never calls it.
    const request = createBriskRequest(req, res, {
      clientAddress,
      bindHints: false,
      refreshVia,
    })
    if (answerNow !== undefined) {
      let answered: BriskResponse | undefined
      try {
        answered = answerNow(request, NOTHING_BELOW)
      } catch (error) {
        failed(error, req, res)
        return
      }
      if (answered !== undefined) {
        void answerWith(res, answered)
        return
      }
    }
    let capture: ResponseCapture | undefined
    const next = (derived?: BriskRequest): Promise<BriskResponse> => {
      beforeApp(req, res, request, derived)
      const current = captureResponse(res, { bufferLimit })
      capture = current
      try {
        const result = listener(req, res)
        if (isThenable(result)) result.then(undefined, (error: unknown) => current.fail(error))
      } catch (error) {
        current.fail(error)
      }
      return current.response
    }
    let answer: Promise<BriskResponse>
    try {
      answer = middleware(request, next)
    } catch (error) {
      answer = Promise.reject(error)
    }
    answer.then(
      (response) =>
        capture === undefined ? answerWith(res, response) : writeResponse(res, response, capture.writer),
      (error: unknown) => {
        // A client that went away needs no answer, and its absence is not a failure.
        if (res.destroyed) return
        if (headSent(res)) res.destroy()
        else
          void writeResponse(
            res,
            { ...INTERNAL_ERROR, headers: { ...INTERNAL_ERROR.headers } },
            capture?.writer,
          )
        report(error, req)
      },
    )
  }
}
