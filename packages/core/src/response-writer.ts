import { OutgoingMessage, type ServerResponse } from 'node:http'

/**
 * The writing methods of a Node `ServerResponse`. A capture displaces them on the instance
 * while the app writes; the adapter then writes the final answer with the displaced ones, so
 * anything installed on the instance before brisk (another middleware's wrapper) still runs.
 */
export interface ResponseWriter {
  writeHead(this: ServerResponse, statusCode: number, statusMessage?: string): ServerResponse
  write(this: ServerResponse, chunk: Buffer): boolean
  end(this: ServerResponse, chunk?: Buffer): ServerResponse
  flushHeaders(this: ServerResponse): void
  /** Undoes what a capture changed on the instance, before the real answer is written. */
  release?(this: ServerResponse): void
}

/** The methods a response has right now (before a capture displaces them). */
export function currentWriter(res: ServerResponse): ResponseWriter {
  return {
    writeHead: res.writeHead as ResponseWriter['writeHead'],
    write: res.write as ResponseWriter['write'],
    end: res.end as ResponseWriter['end'],
    flushHeaders: res.flushHeaders as ResponseWriter['flushHeaders'],
  }
}

const headersSentGetter = Object.getOwnPropertyDescriptor(OutgoingMessage.prototype, 'headersSent')?.get

/**
 * Whether the head really went out (Node's own `headersSent`), even while a capture makes
 * `res.headersSent` answer for the app's view of it.
 */
export function headSent(res: ServerResponse): boolean {
  return headersSentGetter === undefined ? res.headersSent : Boolean(headersSentGetter.call(res))
}

// Node keeps the fields set on a response under an own symbol property, null until the first is
// set. Reading it is an own-property load; `res.getHeaderNames()` is a method found on the
// prototype chain, and on Express's `res` every such load misses V8's inline caches each request
// (the prototype chain's validity is lost per request): measured with --log-ic, each costs a hit
// a few thousand instructions. Found once, by its description, on a response of this Node; a
// Node keeping it otherwise is asked the public way.
const outHeaders: symbol | undefined = Object.getOwnPropertySymbols(new OutgoingMessage()).find(
  (key) => key.description === 'kOutHeaders',
)

/** Node's own field map of `res` (null until a field is set); `undefined` where there is none to read. */
function fieldMap(res: object): Record<string, unknown> | null | undefined {
  return outHeaders === undefined
    ? undefined
    : (res as Record<symbol, Record<string, unknown> | null | undefined>)[outHeaders]
}

/**
 * Whether anything set a field on `res` so far (even one removed again): then Node's
 * `writeHead(status, fields)` stores the given fields through `setHeader`, beside those. An
 * object without Node's field map (another response type) is asked.
 */
export function hasFieldsSet(res: ServerResponse): boolean {
  const fields = fieldMap(res)
  return fields === undefined ? res.getHeaderNames().length > 0 : fields !== null
}

/**
 * `res.hasHeader(name)` for a lower-case `name`, read off Node's own field map where there is
 * one (see {@link hasFieldsSet}): an object without it (another response type) is asked.
 */
export function hasField(res: { hasHeader(name: string): boolean }, name: string): boolean {
  const fields = fieldMap(res)
  if (fields === undefined) return res.hasHeader(name)
  return fields !== null && fields[name] !== undefined
}
