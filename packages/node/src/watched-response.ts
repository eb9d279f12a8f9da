import { channel } from 'node:diagnostics_channel'
import { EventEmitter } from 'node:events'
import { ServerResponse } from 'node:http'
import {
  BriskOptionError,
  hasFieldsSet,
  writeAnswerAtOnce,
  writeResponse,
  type BriskResponse,
} from '@brisk/core'

// Node publishes every finished server response here; a subscriber (an APM agent) gets `res`.
const responseFinish = channel('http.server.response.finish')
// Node's own methods, as they were when brisk loaded.
const nodeResponse = ServerResponse.prototype
const { end, write, writeHead } = nodeResponse
const { hasOwn } = Object
const { listenerCount } = EventEmitter.prototype
// Whether this Node's server adds a 'finish' listener of its own to every response (Node 20:
// `resOnFinish`), settled by name on the first response that has one listener: reading a bound
// function's name builds a string, too dear to do on every hit.
let nodeListensToFinish: boolean | undefined

/**
 * Whether anything besides Node's own server holds on to `res` to look at it once it is
 * answered, so that an answer's fields must stay readable through `res.getHeader()`: a
 * listener on its 'finish' (other than the one Node's server adds) or 'close' events
 * (on-finished, morgan, pino-http, a hand-written request logger), `end`, `write` or `writeHead`
 * replaced on the response or on Node's prototype (on-headers, response-time, the `compression`
 * middleware, APM agents), or a subscriber of Node's `http.server.response.finish` diagnostics
 * channel.
 *
 * What it cannot see: code that keeps `res` without hooking it and reads it later (a timer), and
 * methods replaced on a prototype between the response and Node's (Express's `app.response`).
 * Such code needs `observableHeaders: true`.
 *
 * Nothing here is looked up on `res` itself: on Express's `res` every property load misses V8's
 * inline caches on every request (measured with --log-ic: `res.end`, `res.listenerCount` cost a
 * hit a few thousand instructions each), where an own-property test and the methods taken from
 * the prototypes once do not.
 */
export function isResponseWatched(res: ServerResponse): boolean {
  if (responseFinish.hasSubscribers) return true
  if (hasOwn(res, 'end') || hasOwn(res, 'write') || hasOwn(res, 'writeHead')) return true
  if (nodeResponse.end !== end || nodeResponse.write !== write || nodeResponse.writeHead !== writeHead)
    return true
  if (listenerCount.call(res, 'close') > 0) return true
  const finish = listenerCount.call(res, 'finish')
  if (finish === 0) return false
  if (finish > 1) return true
  // A Node that names its own listener otherwise only sends every answer the observable way.
  nodeListensToFinish ??= res.listeners('finish')[0]?.name === 'bound resOnFinish'
  return !nodeListensToFinish
}

/** Writes an answer made without the app (a hit, a stored 304, a 429). */
export type AnswerWriter = (res: ServerResponse, response: BriskResponse) => Promise<void>

/**
 * The writer for answers made without the app under the `observableHeaders` option (`true`,
 * `false` or `'auto'`, validated here): the head in one `writeHead` call unless the answer's
 * fields must stay readable through `res.getHeader()` and Node would not keep them so itself.
 * With fields set before (an outer listener's, Express's `X-Powered-By`), Node stores the
 * answer's through `setHeader` anyway, so one call serves every setting.
 */
export function answerWriter(observable: unknown): AnswerWriter {
  if (observable !== true && observable !== false && observable !== 'auto') {
    throw new BriskOptionError('observableHeaders', observable, "true, false or 'auto'")
  }
  if (observable === false) return writeAnswerAtOnce
  const readable = observable === true ? (): boolean => true : isResponseWatched
  return (res, response) =>
    hasFieldsSet(res) || !readable(res) ? writeAnswerAtOnce(res, response) : writeResponse(res, response)
}
