import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { PassThrough } from 'node:stream'
import { admittedNames } from './admitted-fields.js'
import type { BriskBody, BriskHeaders, BriskResponse } from './exchange.js'
import { headCommitted } from './head-committed.js'
import { currentWriter, headSent, type ResponseWriter } from './response-writer.js'

/** Options of {@link captureResponse}. */
export interface CaptureOptions {
  /** Bytes the capture buffers before it switches to streaming. Default 1 MiB. */
  bufferLimit?: number
}

/** A Node response being captured into a {@link BriskResponse}. */
export interface ResponseCapture {
  /**
   * Settles when the app's answer is known: with a `Buffer` body when it ended within the tick
   * of its first write, or with a `Readable` body as soon as it streams (a write not followed
   * by `end()` before the event loop turns, `flushHeaders()`, a pipe, or more than
   * `bufferLimit` bytes). Rejects when the client goes away first or `fail()` is called.
   */
  readonly response: Promise<BriskResponse>
  /** The methods the capture displaced: give them to `writeResponse`. */
  readonly writer: ResponseWriter
  /** The app failed: rejects `response` if still pending, else breaks the streamed body. */
  fail(error: unknown): void
}

/** Default for {@link CaptureOptions.bufferLimit}. */
export const DEFAULT_BUFFER_LIMIT = 1024 * 1024

const ignore = (): void => {}

type Callback = (error?: Error | null) => void
type State = 'idle' | 'buffering' | 'streaming' | 'ended'

/** Response headers as brisk keeps them: lower-case names, strings or string lists. */
export function snapshotHeaders(res: ServerResponse): BriskHeaders {
  const headers = res.getHeaders() as Record<string, string | string[] | number | undefined>
  for (const name in headers) {
    const value = headers[name]
    if (typeof value === 'number') headers[name] = String(value)
  }
  // What a limiter set for this client is not part of the app's response (see admitted-fields).
  for (const name of admittedNames(res)) if (headers[name] !== undefined) delete headers[name]
  return headers as BriskHeaders
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  throw new TypeError(`The "chunk" argument must be of type string or an instance of Buffer or Uint8Array`)
}

/**
 * Captures what an app writes to a Node response (`writeHead`, `setHeader`, `write`, `end`,
 * `flushHeaders`, piping a stream) as a {@link BriskResponse}, without sending anything, so
 * brisk middlewares can see and change the answer before `writeResponse` sends it.
 *
 * Headers stay in the response's own header map (so `getHeader`/`removeHeader` keep working
 * for the app); only the writing methods are displaced. A body that ends in the tick it
 * started is buffered; a body that streams is handed over as a `Readable` at once, so SSE and
 * large downloads are never held back, and back-pressure reaches the app through `write()`'s
 * return value and `'drain'`.
 */
export function captureResponse(res: ServerResponse, options: CaptureOptions = {}): ResponseCapture {
  const bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT
  const writer: ResponseWriter = {
    ...currentWriter(res),
    release() {
      // Node's own write/end/flushHeaders send the head through `this.writeHead`, and other
      // wrappers installed before brisk (the compression package) read `res.headersSent`:
      // both must be the real ones again once the real answer is written.
      res.writeHead = writer.writeHead as ServerResponse['writeHead']
      released = true
    },
  }
  let released = false
  let state: State = 'idle'
  let settled = false
  let committed = false
  let chunks: Buffer[] = []
  let buffered = 0
  let stream: PassThrough | undefined
  let check: NodeJS.Immediate | undefined
  let resolveResponse!: (response: BriskResponse) => void
  let rejectResponse!: (error: unknown) => void
  const response = new Promise<BriskResponse>((resolve, reject) => {
    resolveResponse = resolve
    rejectResponse = reject
  })
  // A late rejection (client gone after a middleware stopped waiting) must not become an
  // unhandled rejection; whoever awaits `response` still sees it.
  response.catch(() => {})

  const settle = (body: BriskBody): void => {
    settled = true
    const response: BriskResponse = {
      status: res.statusCode,
      statusMessage: res.statusMessage,
      headers: snapshotHeaders(res),
      body,
    }
    if (committed) headCommitted.add(response)
    resolveResponse(response)
  }

  const startStreaming = (): void => {
    if (state === 'streaming' || state === 'ended') return
    if (check !== undefined) clearImmediate(check)
    const body = new PassThrough()
    // Errors belong to whoever consumes the body; until one listens, one must not crash the process.
    body.on('error', ignore)
    // The app waits for 'drain' on the response it writes to; it is the body that drains now.
    body.on('drain', () => res.emit('drain'))
    for (const chunk of chunks) body.write(chunk)
    chunks = []
    stream = body
    state = 'streaming'
    settle(body)
  }

  const onTurn = (): void => {
    check = undefined
    if (state === 'buffering') startStreaming()
  }

  const append = (chunk: Buffer): void => {
    chunks.push(chunk)
    buffered += chunk.length
    if (buffered > bufferLimit) startStreaming()
    else if (state === 'idle') {
      state = 'buffering'
      check = setImmediate(onTurn)
    }
  }

  const onClose = (): void => {
    // Once the response is over nobody can read the captured body any more (a middleware may
    // have answered with something else): release the app's stream rather than leave it
    // paused on a full buffer, holding a file or a socket until garbage collection.
    if (stream !== undefined && !stream.destroyed && !stream.readableEnded) stream.destroy()
    if (res.writableFinished) return
    const error = new Error('brisk: the client closed the connection before the response was complete')
    error.name = 'AbortError'
    if (check !== undefined) clearImmediate(check)
    if (!settled) {
      settled = true
      rejectResponse(error)
    }
    state = 'ended'
  }
  res.once('close', onClose)
  res.once('pipe', startStreaming)
  // The app sees its head as sent once it committed it, as it would without brisk (error
  // handlers check `res.headersSent` before writing an error page over a started response).
  Object.defineProperty(res, 'headersSent', {
    configurable: true,
    enumerable: false,
    // Switched by a flag rather than deleted: deleting a property drops the response object
    // into V8's slow dictionary mode for the rest of the request.
    get: () => (released ? headSent(res) : committed || state !== 'idle' || headSent(res)),
  })

  res.writeHead = function writeHead(
    this: ServerResponse,
    statusCode: number,
    reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): ServerResponse {
    // Node checks the status here, so the app learns of a bad one where it made it.
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
      throw new RangeError(`Invalid status code: ${String(statusCode)}`)
    }
    res.statusCode = statusCode
    committed = true
    if (typeof reason === 'string') res.statusMessage = reason
    else headers = reason
    if (Array.isArray(headers)) {
      // Node accepts [name, value, name, value] and [[name, value], …].
      if (headers.length > 0 && Array.isArray(headers[0])) {
        for (const pair of headers as unknown as [string, string][]) res.appendHeader(pair[0], pair[1])
      } else {
        for (let i = 0; i + 1 < headers.length; i += 2) {
          res.appendHeader(String(headers[i]), headers[i + 1] as string)
        }
      }
    } else if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const value = headers[name]
        if (value !== undefined) res.setHeader(name, value)
      }
    }
    return res
  } as ServerResponse['writeHead']

  res.write = function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const cb = (typeof encoding === 'function' ? encoding : callback) as Callback | undefined
    if (state === 'ended' || stream?.destroyed === true) {
      if (cb !== undefined) process.nextTick(cb, new Error('brisk: write after the response ended'))
      return false
    }
    const buffer = toBuffer(chunk, encoding)
    if (state === 'streaming') return (stream as PassThrough).write(buffer, cb)
    committed = true
    append(buffer)
    if (cb !== undefined) process.nextTick(cb)
    // append() may have switched to streaming when the buffer limit was passed.
    return stream === undefined || !stream.writableNeedDrain
  } as ServerResponse['write']

  res.end = function end(chunk?: unknown, encoding?: unknown, callback?: unknown): ServerResponse {
    let cb: unknown = callback
    if (typeof chunk === 'function') {
      cb = chunk
      chunk = undefined
    } else if (typeof encoding === 'function') cb = encoding
    if (typeof cb === 'function') res.once('finish', cb as () => void)
    if (state === 'ended') return res
    if (chunk !== undefined && chunk !== null) {
      const buffer = toBuffer(chunk, encoding)
      if (state === 'streaming') (stream as PassThrough).write(buffer)
      else {
        chunks.push(buffer)
        buffered += buffer.length
      }
    }
    if (check !== undefined) clearImmediate(check)
    if (state === 'streaming') (stream as PassThrough).end()
    else {
      const body =
        chunks.length === 0
          ? null
          : chunks.length === 1
            ? (chunks[0] as Buffer)
            : Buffer.concat(chunks, buffered)
      chunks = []
      settle(body)
    }
    state = 'ended'
    return res
  } as ServerResponse['end']

  res.flushHeaders = function flushHeaders(): void {
    startStreaming()
  }

  return {
    response,
    writer,
    fail(error: unknown): void {
      if (!settled) {
        settled = true
        state = 'ended'
        if (check !== undefined) clearImmediate(check)
        rejectResponse(error)
      } else if (stream !== undefined && !stream.destroyed && !stream.writableEnded) {
        stream.destroy(error instanceof Error ? error : new Error(String(error)))
      }
    },
  }
}
