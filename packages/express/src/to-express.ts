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
  serverListener,
  setAdmissionHeaders,
  withEarlierHeaders,
  writeResponse,
  type Admission,
  type AdmissionMiddleware,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
  type ResponseCapture,
  type Size,
} from '@brisk/core'
import { answerWriter } from '@brisk/node'

/** Options of {@link toExpress}. */
export interface ExpressAdapterOptions {
  /** Response bytes buffered before the capture streams instead. Default `'1 MB'`. */
  bufferLimit?: Size
  /**
   * How answers made without the rest of the app (hits, stored 304s) set their fields, as
   * `@brisk/node`'s option of the same name: `'auto'` writes the head in one `res.writeHead`
   * call, which Express's own `X-Powered-By` (or any field set before brisk) keeps readable
   * through `res.getHeader()`, and which otherwise stays readable for a response something
   * watches (morgan, pino-http, on-finished); `true` always keeps them readable, `false` never
   * asks. Default `'auto'`.
   */
  observableHeaders?: boolean | 'auto'
}

/** The parts of Express's request the adapter reads (Express 4 and 5 alike). */
interface ExpressRequest extends IncomingMessage {
  ip?: string | undefined
  originalUrl?: string
  /** The (sub-)app the request is in; a mounted app's settings inherit its parent's. */
  app?: { settings?: Record<string, unknown> }
}

/**
 * `req.ip`: the client address by the app's `trust proxy` setting. When the app trusts no proxy
 * (Express's default) that is the socket's address, read here directly: `req.ip` runs proxy-addr
 * over `X-Forwarded-For` on every read (330 ns a read on Express 5, against 56 for this check
 * and the socket's address, measured in a loop), and the rate limiter reads it for every
 * request. Front mode follows the same settings (`expressClientAddress`).
 */
const requestIp = (req: ExpressRequest): string =>
  req.app?.settings?.['trust proxy'] === false
    ? (req.socket.remoteAddress ?? '')
    : (req.ip ?? req.socket.remoteAddress ?? '')

/** An Express middleware, typed structurally so it fits Express 4 and 5 (`app.use(toExpress(...))`). */
export type ExpressMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void

const INTERNAL_ERROR: BriskResponse = {
  status: 500,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': '21' },
  body: Buffer.from('Internal Server Error'),
}

/**
 * Turns a brisk middleware (usually `compose(...)` of several) into Express middleware, for
 * Express 4 and 5. The brisk middleware sees the request first and may answer without running
 * the rest of the app; otherwise everything the app writes (`writeHead`, `setHeader`, `write`,
 * `end`, `res.send`, `res.sendFile`, a piped stream) is captured and passed back through it,
 * streamed through as it is written when the app streams or flushes.
 *
 * The client address is `req.ip`, so the app's `trust proxy` setting applies. Errors thrown by
 * routes stay Express's: its error middleware (or its default handler) writes the error
 * response, which brisk captures like any other; a failure of brisk itself before the app
 * ran goes to `next(error)`.
 */
export function toExpress(
  middleware: BriskMiddleware,
  options: ExpressAdapterOptions = {},
): ExpressMiddleware {
  if (typeof middleware !== 'function') {
    throw new BriskOptionError('middleware', middleware, 'a brisk middleware function (e.g. compose(...))')
  }
  const bufferLimit = parseSize(options.bufferLimit ?? '1 MB', 'bufferLimit')
  const answerWith = answerWriter(options.observableHeaders ?? 'auto')
  if (isAdmission(middleware)) return admissionToExpress(middleware)
  // Answers the stack can give at once (a fresh hit in memory) are written without a promise.
  const answerNow = answerNowOf(middleware)
  return function brisk(req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void): void {
    const request = createBriskRequest(req, res, {
      clientAddress: requestIp,
      url: req.originalUrl ?? req.url,
      // A stale-while-revalidate refresh re-enters the whole app the client reached.
      refreshVia: serverListener,
      // Bound right before the app runs: a hit never runs it, and pays for no WeakMap insertion.
      bindHints: false,
    })
    // A twin that throws goes to Express's error handling, as any middleware's synchronous throw.
    const answered = answerNow?.(request, NOTHING_BELOW)
    if (answered !== undefined) {
      void answerWith(res, answered)
      return
    }
    let capture: ResponseCapture | undefined
    const runApp = (derived?: BriskRequest): Promise<BriskResponse> => {
      beforeApp(req, res, request, derived)
      const current = captureResponse(res, { bufferLimit })
      capture = current
      next()
      return current.response
    }
    let answer: Promise<BriskResponse>
    try {
      answer = middleware(request, runApp)
    } catch (error) {
      answer = Promise.reject(error)
    }
    answer.then(
      (response) =>
        capture === undefined ? answerWith(res, response) : writeResponse(res, response, capture.writer),
      (error: unknown) => {
        // Before the app ran, Express's error handling answers. After, the app's part of the
        // chain is spent (a second next() would run it again), so brisk answers itself.
        if (capture === undefined) next(error)
        else if (res.destroyed) return
        else if (headSent(res)) res.destroy()
        else
          void writeResponse(
            res,
            { ...INTERNAL_ERROR, headers: { ...INTERNAL_ERROR.headers } },
            capture.writer,
          )
      },
    )
  }
}

/**
 * A middleware that only admits (a rate limiter): its fields are set on the response before the
 * app runs and the app's response is never captured, so it costs what its decision costs. A 429
 * is written at once and the rest of the app does not run; a failure goes to `next(error)`.
 */
function admissionToExpress(middleware: AdmissionMiddleware): ExpressMiddleware {
  const apply = (res: ServerResponse, next: (error?: unknown) => void, admission: Admission): void => {
    if ('response' in admission) {
      void writeResponse(res, withEarlierHeaders(res, admission.response))
      return
    }
    setAdmissionHeaders(res, admission.headers)
    next()
  }
  return function brisk(req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void): void {
    // Hints are not bound: nothing after an admission reads them through this request.
    const request = createBriskRequest(req, res, {
      clientAddress: requestIp,
      url: req.originalUrl ?? req.url,
      bindHints: false,
    })
    let admission: Admission | Promise<Admission>
    try {
      admission = middleware.admit(request)
    } catch (error) {
      next(error)
      return
    }
    // A decision made at once finds the response as it was; one that settles later (Redis) may
    // find it answered meanwhile (a timeout). Asked only then: on Express's \`res\` each property
    // read misses V8's inline caches on every request (see hasFieldsSet in @brisk/core).
    if (!isPromise(admission)) apply(res, next, admission)
    else
      admission
        .then((settled) => {
          if (!res.headersSent && !res.writableEnded) apply(res, next, settled)
        })
        .catch(next)
  }
}
