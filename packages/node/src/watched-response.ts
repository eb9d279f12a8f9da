import { channel } from 'node:diagnostics_channel'
import { ServerResponse } from 'node:http'

// Node publishes every finished server response here; a subscriber (an APM agent) gets `res`.
const responseFinish = channel('http.server.response.finish')
// Node's own methods, as they were when brisk loaded.
const { end, write, writeHead } = ServerResponse.prototype
// Whether this Node's server adds a 'finish' listener of its own to every response (Node 20:
// `resOnFinish`), settled by name on the first response that has one listener: reading a bound
// function's name builds a string, too dear to do on every hit.
let nodeListensToFinish: boolean | undefined

/**
 * Whether anything besides Node's own server holds on to `res` to look at it once it is
 * answered, so that an answer's fields must stay readable through `res.getHeader()`: a
 * listener on its 'finish' (other than the one Node's server adds) or 'close' events
 * (on-finished, morgan, pino-http, a hand-written request logger), `end`, `write` or `writeHead`
 * other than Node's (on-headers, response-time, the `compression` middleware, APM agents), or a
 * subscriber of Node's `http.server.response.finish` diagnostics channel.
 *
 * What it cannot see: code that keeps `res` without hooking it and reads it later (a timer).
 * Such code needs `observableHeaders: true`.
 */
export function isResponseWatched(res: ServerResponse): boolean {
  if (responseFinish.hasSubscribers) return true
  if (res.end !== end || res.write !== write || res.writeHead !== writeHead) return true
  if (res.listenerCount('close') > 0) return true
  const finish = res.listenerCount('finish')
  if (finish === 0) return false
  if (finish > 1) return true
  // A Node that names its own listener otherwise only sends every answer the observable way.
  nodeListensToFinish ??= res.listeners('finish')[0]?.name === 'bound resOnFinish'
  return !nodeListensToFinish
}
