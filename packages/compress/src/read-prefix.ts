import type { Readable } from 'node:stream'

/** What {@link readPrefix} got from the start of a stream. */
export interface StreamPrefix {
  /** The chunks read, in order. */
  chunks: Buffer[]
  /** Their total length in bytes. */
  length: number
  /** True when the stream ended within the prefix: `chunks` is the whole body. */
  ended: boolean
}

/**
 * Reads from a paused stream until at least `min` bytes arrived or it ended, so that a streamed
 * body's size can be compared with the threshold before choosing to compress it. Reads in
 * paused mode (`read()`), so the rest of the stream is left for `pipe` afterwards. Rejects when
 * the stream errors or closes early, or when `signal` aborts (the client left: the source is
 * destroyed then, so a slow producer is not kept waiting for no one).
 */
export function readPrefix(source: Readable, min: number, signal?: AbortSignal): Promise<StreamPrefix> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    if (source.readableEnded) {
      resolve({ chunks, length, ended: true })
      return
    }
    if (source.destroyed) {
      reject(new Error('brisk compress: response stream destroyed before it was read'))
      return
    }
    const cleanup = (): void => {
      source.off('readable', onReadable)
      source.off('end', onEnd)
      source.off('error', onError)
      source.off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    const onReadable = (): void => {
      let chunk: unknown
      while ((chunk = source.read()) !== null) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
        chunks.push(bytes)
        length += bytes.length
        if (length >= min) {
          cleanup()
          resolve({ chunks, length, ended: false })
          return
        }
      }
    }
    const onEnd = (): void => {
      cleanup()
      resolve({ chunks, length, ended: true })
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const onClose = (): void => {
      cleanup()
      reject(new Error('brisk compress: response stream closed before its end'))
    }
    const onAbort = (): void => {
      cleanup()
      source.destroy()
      reject(new Error('brisk compress: client aborted'))
    }
    if (signal?.aborted === true) {
      onAbort()
      return
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    source.on('readable', onReadable)
    source.once('end', onEnd)
    source.once('error', onError)
    source.once('close', onClose)
  })
}
