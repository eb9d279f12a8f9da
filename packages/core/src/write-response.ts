import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { applyHeaders } from './apply-headers.js'
import { dropFieldsUnfitForRefusal, isRefusal } from './earlier-fields.js'
import type { BriskResponse } from './exchange.js'
import { headCommitted } from './head-committed.js'
import { hasFieldsSet, headSent, type ResponseWriter } from './response-writer.js'

/**
 * Writes a {@link BriskResponse} to a Node response: status, its headers, and its body. Fields
 * middleware in front of brisk set for this request stay beside the answer's (earlier-fields);
 * others the response held and the answer dropped (a compressor's `content-length`) go.
 * A stream body is sent as it arrives (headers flushed first, so SSE clients see the response
 * open at once), with back-pressure from the socket, and destroyed if the client goes away.
 *
 * `writer` holds the methods to write with: those a capture displaced (`capture.writer`), so
 * the app, still writing into the captured body, never reaches the socket directly. Without a
 * capture (an answer from a store in front of the app), the response's own methods serve.
 *
 * Resolves once the body was handed to the socket or the client went away; never rejects: a
 * body that fails after the head was sent cuts the connection, the only honest signal left.
 */
export function writeResponse(
  res: ServerResponse,
  response: BriskResponse,
  writer?: ResponseWriter,
): Promise<void> {
  return write(res, response, writer, false)
}

/**
 * {@link writeResponse} for an answer made without the app (a hit, a stored 304, a 429) with
 * the head in one `writeHead(status, fields)` call where it can. When fields were set on `res`
 * before, Node stores the answer's through `setHeader` beside them, so `res.getHeader()` sees
 * them as on the field-by-field path; when none were, Node writes the given fields as they are
 * and `res.getHeader()` does not see them afterwards: the caller decides whether that is fine
 * (nothing watches the response) or uses {@link writeResponse}.
 */
export function writeAnswerAtOnce(res: ServerResponse, response: BriskResponse): Promise<void> {
  return write(res, response, undefined, true)
}

function write(
  res: ServerResponse,
  response: BriskResponse,
  writer: ResponseWriter | undefined,
  headInOneCall: boolean,
): Promise<void> {
  const via = writer ?? (res as unknown as ResponseWriter)
  // The app's head is settled by now: what a capture changed on the instance goes back.
  writer?.release?.call(res)
  try {
    if (writer === undefined && (response.body === null || Buffer.isBuffer(response.body))) {
      return sendAnswer(res, response, headInOneCall)
    }
    return send(res, response, via)
  } catch {
    // Node refused the answer (a status outside 100-999, a header value with a control
    // character): the client gets a plain 500 rather than a crashed process or a hung socket.
    const { body } = response
    if (body !== null && !Buffer.isBuffer(body)) body.destroy()
    if (headSent(res) || res.writableEnded) res.destroy()
    else {
      for (const name of res.getHeaderNames()) res.removeHeader(name)
      res.statusCode = 500
      res.statusMessage = 'Internal Server Error'
      res.setHeader('content-type', 'text/plain; charset=utf-8')
      via.end.call(res, Buffer.from('Internal Server Error'))
    }
    return Promise.resolve()
  }
}

/**
 * An answer made without the app (a hit, a 304 from stored validators, a 429), with its bytes at
 * hand: the same result as {@link send}, touching `res` as few times as it can. Express gives
 * every request's `res` a hidden class of its own (it swaps the prototype), so each property
 * read on it misses V8's inline caches: the general path's ~40 reads and calls cost a hit about
 * as much as the cache lookup and the rest of brisk together (measured, see bench/README.md).
 * Headers go through `setHeader`, so loggers reading `res.getHeader()` see them, unless the
 * caller chose the head in one call ({@link writeAnswerAtOnce}).
 */
function sendAnswer(res: ServerResponse, response: BriskResponse, headInOneCall: boolean): Promise<void> {
  // A response already destroyed needs no test here (one more property read on Express's `res`,
  // see hasFieldsSet): Node drops what is written to it, handing the error to no one.
  if (headSent(res)) return send(res, response, res as unknown as ResponseWriter)
  const body = response.body as Buffer | null
  if (!headInOneCall || !writeHeadAtOnce(res, response)) {
    const headers = response.headers
    // Fields on `res` now were set by middleware in front of brisk for this request: they stay,
    // but for those a refusal must not carry.
    dropFieldsUnfitForRefusal(res, response)
    const setHeader = res.setHeader
    for (const name in headers) {
      const value = headers[name]
      if (value !== undefined) setHeader.call(res, name, value)
    }
    if (body !== null) {
      // The bytes win over a Content-Length that disagrees with them; a HEAD keeps the length of
      // the body it stands for (RFC 9110 §9.3.2).
      const declared = headers['content-length']
      if (declared !== undefined && Number(declared) !== body.length && res.req?.method !== 'HEAD') {
        setHeader.call(res, 'content-length', String(body.length))
      }
    }
    // A store on such a `res` costs several times a read (the field is generalized each time): a
    // 200 is what Node set already.
    if (res.statusCode !== response.status) res.statusCode = response.status
    // Node supplies the default reason phrase for the status itself.
    if (response.statusMessage !== undefined) res.statusMessage = response.statusMessage
  }
  if (body === null) res.end()
  else res.end(body)
  return Promise.resolve()
}

// Statuses that never have a body, so never a length to frame one.
const BODILESS = new Set([204, 304])

/**
 * The head in one `writeHead(status, fields)` call, when the fields can go as they are; `false`
 * leaves the head to the field-by-field path. Node then validates and serializes the fields in
 * one pass instead of storing each through `setHeader`: measured with callgrind on a front-mode
 * hit (45 KB page, 5 fields), 78.4k instructions per response through `setHeader`, 70.7k this
 * way, 69.1k for the raw `node:http` write of the same bytes. Fields set on `res` before (an
 * outer listener's, Express's `X-Powered-By`) Node keeps, storing the answer's beside them
 * through `setHeader`, as the field-by-field path does; only a refusal over such fields takes
 * that path, which drops those a refusal must not carry. On Express's `res` the head this way
 * also follows the very calls Express's own fastest answer makes (`writeHead`, then `end`),
 * where each extra property brisk reads on `res` misses V8's inline caches (see hasFieldsSet).
 */
function writeHeadAtOnce(res: ServerResponse, response: BriskResponse): boolean {
  const headers = response.headers
  const body = response.body as Buffer | null
  let length = false
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) return false
    if (name === 'content-length') {
      // The bytes win over a Content-Length that disagrees with them; the general path fixes it.
      if (body !== null && Number(value) !== body.length) return false
      length = true
    }
  }
  // Without a Content-Length, a head sent before `end` would make Node frame the body chunked,
  // where `end` alone measures it.
  if (!length && !BODILESS.has(response.status)) return false
  if (isRefusal(response) && hasFieldsSet(res)) return false
  if (response.statusMessage === undefined) res.writeHead(response.status, headers as OutgoingHttpHeaders)
  else res.writeHead(response.status, response.statusMessage, headers as OutgoingHttpHeaders)
  return true
}

/** Whether an empty answer of `status` to this request says so by a `Content-Length: 0`. */
function framesEmptyBody(res: ServerResponse, status: number): boolean {
  return status >= 200 && !BODILESS.has(status) && res.req?.method !== 'HEAD'
}

function send(res: ServerResponse, response: BriskResponse, via: ResponseWriter): Promise<void> {
  const { body } = response
  if (res.destroyed || res.writableEnded) {
    if (body !== null && !Buffer.isBuffer(body)) body.destroy()
    return Promise.resolve()
  }
  if (!headSent(res)) {
    const appLength = body === null && res.getHeader('content-length') !== undefined
    applyHeaders(res, response.headers)
    if (
      appLength &&
      response.headers['content-length'] === undefined &&
      framesEmptyBody(res, response.status)
    ) {
      // An empty answer in place of the app's (a 412 after it ran): removing the app's length
      // tells Node not to frame by length, and its empty `end()` would go out chunked.
      res.setHeader('content-length', '0')
    }
    res.statusCode = response.status
    // The app may have set a reason phrase for its own status (Koa sets one with every status);
    // an answer without its own phrase gets the default for its status, never the app's.
    res.statusMessage = response.statusMessage ?? STATUS_CODES[response.status] ?? ''
  }
  const commitHead = headCommitted.has(response) && !headSent(res)
  if (body === null) {
    if (commitHead) via.writeHead.call(res, res.statusCode)
    via.end.call(res)
    return Promise.resolve()
  }
  if (Buffer.isBuffer(body)) {
    // A Content-Length that disagrees with the bytes would corrupt the connection; the bytes
    // win. HEAD answers keep the length of the body they stand for (RFC 9110 §9.3.2).
    const declared = res.getHeader('content-length')
    if (
      declared !== undefined &&
      Number(declared) !== body.length &&
      res.req?.method !== 'HEAD' &&
      !headSent(res)
    ) {
      res.setHeader('content-length', String(body.length))
    }
    if (commitHead) via.writeHead.call(res, res.statusCode)
    via.end.call(res, body)
    return Promise.resolve()
  }
  if (!headSent(res)) via.flushHeaders.call(res)
  return pump(body, res, via)
}

function pump(body: Readable, res: ServerResponse, via: ResponseWriter): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('close', onBodyClose)
      res.off('drain', onDrain)
      res.off('close', onResponseClose)
      resolve()
    }
    const onData = (chunk: Buffer | string): void => {
      if (!via.write.call(res, typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) body.pause()
    }
    const onDrain = (): void => {
      body.resume()
    }
    const onEnd = (): void => {
      via.end.call(res)
      finish()
    }
    const onError = (error: Error): void => {
      if (!done) res.destroy(error)
      finish()
    }
    const onBodyClose = (): void => {
      // Closed without 'end': the producer gave up; the client must not take a truncated
      // body for a complete one.
      if (!body.readableEnded && !done) res.destroy()
      finish()
    }
    const onResponseClose = (): void => {
      if (!res.writableFinished) body.destroy()
      finish()
    }
    // Stays attached: a body destroyed with an error after we are done must not crash the process.
    body.on('error', onError)
    body.on('data', onData)
    body.on('end', onEnd)
    body.on('close', onBodyClose)
    res.on('drain', onDrain)
    res.on('close', onResponseClose)
    if (body.destroyed) onBodyClose()
  })
}
