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
