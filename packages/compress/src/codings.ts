import zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import type { Coding } from './negotiate.js'

/** Compression effort per coding: brotli quality 0-11, zstd level 1-22, gzip/deflate level 0-9. */
export interface CodingLevels {
  br: number
  zstd: number
  gzip: number
  deflate: number
}

/** The valid range of each coding's level, for option validation. */
export const LEVEL_RANGES: Readonly<Record<Coding, readonly [number, number]>> = {
  br: [0, 11],
  zstd: [1, 22],
  gzip: [0, 9],
  deflate: [0, 9],
}

/**
 * The zstd half of `node:zlib`, present from Node 22.15 / 23.8. Node 20's types (and runtime)
 * lack it, so it is reached through this optional shape and feature-detected, never assumed.
 */
export interface ZstdApi {
  createZstdCompress(options?: { params?: Record<number, number> }): Transform
  zstdCompressSync(input: Buffer, options?: { params?: Record<number, number> }): Buffer
  zstdCompress(
    input: Buffer,
    options: { params?: Record<number, number> },
    callback: (error: Error | null, result: Buffer) => void,
  ): void
  constants: { ZSTD_c_compressionLevel: number; ZSTD_e_flush?: number }
}

/** The zstd API of a zlib-like module when it has one, else undefined. */
export function detectZstd(module: object): ZstdApi | undefined {
  const candidate = module as Partial<ZstdApi> & { constants?: Record<string, number> }
  if (
    typeof candidate.createZstdCompress === 'function' &&
    typeof candidate.zstdCompressSync === 'function' &&
    typeof candidate.zstdCompress === 'function' &&
    typeof candidate.constants?.ZSTD_c_compressionLevel === 'number'
  ) {
    return candidate as ZstdApi
  }
  return undefined
}

const zstd = detectZstd(zlib)

/** Codings this runtime can produce, in brisk's default preference order (br, zstd, gzip, deflate). */
export const SUPPORTED_CODINGS: readonly Coding[] =
  zstd === undefined ? ['br', 'gzip', 'deflate'] : ['br', 'zstd', 'gzip', 'deflate']

function brotliOptions(level: number, sizeHint?: number): zlib.BrotliOptions {
  const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: level }
  // The size hint lets brotli pick a window that fits the body (smaller state, less memory).
  if (sizeHint !== undefined) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint
  return { params }
}

function zstdParams(level: number): { params: Record<number, number> } {
  return { params: { [(zstd as ZstdApi).constants.ZSTD_c_compressionLevel]: level } }
}

/**
 * The flush that pushes out everything written so far while keeping the compression window,
 * so later writes still refer back to earlier ones: Z_SYNC_FLUSH for gzip/deflate (Node's
 * default for `flush()` is Z_FULL_FLUSH, which resets the window), the brotli and zstd flush
 * operations otherwise.
 */
export function flushKind(coding: Coding): number {
  switch (coding) {
    case 'br':
      return zlib.constants.BROTLI_OPERATION_FLUSH
    case 'zstd':
      // ZSTD_e_flush is 1 in zstd's API; read from Node when it exports it.
      return (zstd as ZstdApi).constants.ZSTD_e_flush ?? 1
    case 'gzip':
    case 'deflate':
      return zlib.constants.Z_SYNC_FLUSH
  }
}

/** A streaming compressor for `coding` at `level`. Only called for codings in {@link SUPPORTED_CODINGS}. */
export function createEncoder(coding: Coding, level: number): Transform {
  switch (coding) {
    case 'br':
      return zlib.createBrotliCompress(brotliOptions(level))
    case 'zstd':
      return (zstd as ZstdApi).createZstdCompress(zstdParams(level))
    case 'gzip':
      return zlib.createGzip({ level })
    case 'deflate':
      return zlib.createDeflate({ level })
  }
}

/** Compresses a whole body on the calling thread (cheaper than the thread pool for small bodies, see bench/). */
export function encodeSync(coding: Coding, level: number, input: Buffer): Buffer {
  switch (coding) {
    case 'br':
      return zlib.brotliCompressSync(input, brotliOptions(level, input.length))
    case 'zstd':
      return (zstd as ZstdApi).zstdCompressSync(input, zstdParams(level))
    case 'gzip':
      return zlib.gzipSync(input, { level })
    case 'deflate':
      return zlib.deflateSync(input, { level })
  }
}

/** Compresses a whole body on libuv's thread pool, leaving the event loop free. */
export function encodeAsync(coding: Coding, level: number, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer): void =>
      error === null ? resolve(result) : reject(error)
    switch (coding) {
      case 'br':
        zlib.brotliCompress(input, brotliOptions(level, input.length), done)
        return
      case 'zstd':
        ;(zstd as ZstdApi).zstdCompress(input, zstdParams(level), done)
        return
      case 'gzip':
        zlib.gzip(input, { level }, done)
        return
      case 'deflate':
        zlib.deflate(input, { level }, done)
        return
    }
  })
}
