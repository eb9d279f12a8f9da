import { pipeline, Transform, type TransformCallback, type Readable } from 'node:stream'

/** Byte counts of a finished compressed stream. */
export interface StreamCounts {
  bytesIn: number
  bytesOut: number
}

/** How {@link encodeStream} runs. */
export interface EncodeStreamOptions {
  /** Bytes already read from `source` (the threshold prefix); compressed first. */
  prefix?: readonly Buffer[]
  /** Flush the compressor with this zlib flush kind after every chunk, so each write (an SSE event) reaches the client at once. */
  flushEachChunk?: number
  /** Aborted when the client leaves: the compressor and the source are destroyed at once. */
  signal?: AbortSignal
  /** Called once when the compressed stream has ended completely. */
  onEnd?: (counts: StreamCounts) => void
}

/**
 * The compressed body stream: `source` piped through `encoder` with back-pressure. The returned
 * stream is the one the adapter writes to the socket; destroying it (client gone) or aborting
 * `signal` destroys the encoder, which frees zlib's native state at once, and the source.
 *
 * The encoder is wrapped rather than returned, so that its output can be counted, and so that
 * with `flushEachChunk` each input chunk is followed by a zlib flush whose output is pushed
 * before the next chunk is taken (a flush kind that keeps the window, see `flushKind`, so
 * later events still compress against earlier ones).
 */
export function encodeStream(
  source: Readable,
  encoder: Transform,
  options: EncodeStreamOptions = {},
): Transform {
  const output = new EncoderStream(encoder, options.flushEachChunk, options.onEnd)
  for (const chunk of options.prefix ?? []) output.write(chunk)
  const signal = options.signal
  const onAbort = (): void => {
    output.destroy()
  }
  if (signal !== undefined) {
    if (signal.aborted) queueMicrotask(onAbort)
    else signal.addEventListener('abort', onAbort, { once: true })
  }
  // Errors (client gone, source failed) reach the consumer through `output`; the callback only
  // releases the abort listener, so nothing is logged per request.
  pipeline(source, output, () => {
    signal?.removeEventListener('abort', onAbort)
  })
  return output
}

class EncoderStream extends Transform {
  private bytesIn = 0
  private bytesOut = 0

  constructor(
    private readonly encoder: Transform,
    private readonly flushEachChunk: number | undefined,
    private readonly onEnd: ((counts: StreamCounts) => void) | undefined,
  ) {
    super()
    // Back-pressure: when the consumer (the socket) is full, the encoder is paused; its own
    // buffers then fill, `encoder.write` returns false, this stream stops taking input, and the
    // pipeline pauses the source. `_read` resumes it.
    encoder.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length
      if (!this.push(chunk)) encoder.pause()
    })
    encoder.on('error', (error) => this.destroy(error))
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    this.bytesIn += bytes.length
    if (this.flushEachChunk !== undefined) {
      this.encoder.write(bytes)
      // zlib queues the flush behind the write and calls back once its output was emitted.
      ;(this.encoder as Transform & { flush(kind: number, callback: () => void): void }).flush(
        this.flushEachChunk,
        () => callback(),
      )
      return
    }
    if (this.encoder.write(bytes)) callback()
    else this.encoder.once('drain', () => callback())
  }

  override _read(size: number): void {
    this.encoder.resume()
    super._read(size)
  }

  override _flush(callback: TransformCallback): void {
    this.encoder.once('end', () => {
      this.onEnd?.({ bytesIn: this.bytesIn, bytesOut: this.bytesOut })
      callback()
    })
    this.encoder.end()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.encoder.destroy()
    callback(error)
  }
}
