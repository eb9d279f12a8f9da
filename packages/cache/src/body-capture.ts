import type { BriskBody } from '@brisk/core'
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream'

/** A body on its way to the client, and the bytes it held once complete (undefined: not storable). */
export interface CapturedBody {
  /** What to send: the same bytes, passed on as they come. */
  body: BriskBody
  /** The whole body when it ended within the limit; undefined when it was too big, failed or was cut off. */
  bytes: Promise<Buffer | undefined>
}

const EMPTY = Buffer.alloc(0)

/**
 * Copies a response body for storage without ever holding more than `limit` bytes of it:
 * a Buffer is taken as is; a stream is passed on chunk by chunk while a copy is kept until it
 * passes the limit, after which the copy is dropped and the stream flows on untouched (an
 * endless stream such as SSE is never buffered). The client never waits for the cache.
 */
export function captureBody(
  body: BriskBody,
  limit: number,
  declaredLength: number | undefined,
): CapturedBody {
  if (body === null) return { body, bytes: Promise.resolve(EMPTY) }
  if (Buffer.isBuffer(body)) return { body, bytes: Promise.resolve(body.length <= limit ? body : undefined) }
  if (!(body instanceof Readable) || (declaredLength !== undefined && declaredLength > limit)) {
    return { body, bytes: Promise.resolve(undefined) }
  }
  let chunks: Buffer[] | undefined = []
  let size = 0
  let resolveBytes: (bytes: Buffer | undefined) => void = () => {}
  const bytes = new Promise<Buffer | undefined>((resolve) => {
    resolveBytes = resolve
  })
  const tee = new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (chunks !== undefined) {
        size += buffer.length
        if (size > limit) chunks = undefined
        else chunks.push(buffer)
      }
      callback(null, buffer)
    },
    flush(callback: TransformCallback) {
      resolveBytes(chunks === undefined ? undefined : Buffer.concat(chunks, size))
      chunks = undefined
      callback()
    },
  })
  pipeline(body, tee, (error) => {
    if (error) {
      chunks = undefined
      resolveBytes(undefined)
    }
  })
  return { body: tee, bytes }
}
