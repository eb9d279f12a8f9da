import { describe, expect, it } from 'vitest'
import zlib from 'node:zlib'
import { PassThrough } from 'node:stream'
import { createEncoder, detectZstd, encodeAsync, encodeSync, SUPPORTED_CODINGS } from './codings.js'
import type { Coding } from './negotiate.js'

const DECODERS: Record<Coding, (input: Buffer) => Buffer> = {
  br: (input) => zlib.brotliDecompressSync(input),
  gzip: (input) => zlib.gunzipSync(input),
  deflate: (input) => zlib.inflateSync(input),
  zstd: (input) =>
    (zlib as unknown as { zstdDecompressSync(input: Buffer): Buffer }).zstdDecompressSync(input),
}

const text = Buffer.from('brisk compresses text '.repeat(500))

describe('codings', () => {
  it('offers zstd exactly when node:zlib has it', () => {
    const hasZstd = typeof (zlib as unknown as Record<string, unknown>).createZstdCompress === 'function'
    expect(SUPPORTED_CODINGS.includes('zstd')).toBe(hasZstd)
    expect(SUPPORTED_CODINGS).toEqual(expect.arrayContaining(['br', 'gzip', 'deflate']))
  })

  it('detects a zstd API only when every function and the level constant exist', () => {
    const fn = (): void => {}
    const complete = {
      createZstdCompress: fn,
      zstdCompressSync: fn,
      zstdCompress: fn,
      constants: { ZSTD_c_compressionLevel: 100 },
    }
    expect(detectZstd(complete)).toBe(complete)
    expect(detectZstd({ ...complete, zstdCompress: undefined })).toBeUndefined()
    expect(detectZstd({ ...complete, constants: {} })).toBeUndefined()
    expect(detectZstd({})).toBeUndefined()
  })

  it.each(SUPPORTED_CODINGS)(
    '%s round-trips synchronously, asynchronously and as a stream',
    async (coding) => {
      expect(DECODERS[coding](encodeSync(coding, 5, text)).equals(text)).toBe(true)
      expect(DECODERS[coding](await encodeAsync(coding, 5, text)).equals(text)).toBe(true)
      const encoder = createEncoder(coding, 5)
      const chunks: Buffer[] = []
      const collected = new Promise<void>((resolve) => encoder.on('end', resolve))
      encoder.on('data', (chunk: Buffer) => chunks.push(chunk))
      new PassThrough().end(text).pipe(encoder)
      await collected
      expect(DECODERS[coding](Buffer.concat(chunks)).equals(text)).toBe(true)
    },
  )
})
