import { stat } from 'node:fs/promises'
import { createReadStream, type Stats } from 'node:fs'
import path from 'node:path'
import mime from 'mime-types'
import {
  appendVary,
  BriskOptionError,
  headerValue,
  type BriskMiddleware,
  type BriskResponse,
} from '@brisk/core'
import { negotiateEncoding, type Coding } from './negotiate.js'
import { resolveStaticPath } from './static-path.js'

/** A coding a precompressed sibling file can carry. Serving one needs no zlib, so zstd works on every Node. */
export type PrecompressedCoding = Exclude<Coding, 'deflate'>

/** The file-name suffix of each coding's sibling (`app.js.br`), as build tools write them. */
export const SIBLING_SUFFIX: Readonly<Record<PrecompressedCoding, string>> = {
  br: '.br',
  zstd: '.zst',
  gzip: '.gz',
}

/** Options of {@link precompressed}. */
export interface PrecompressedOptions {
  /** Directory of the static files (and their `.br`/`.zst`/`.gz` siblings); nothing outside it is ever read. Required. */
  root: string
  /** URL path the directory is served under, e.g. `'/static/'`. Default `'/'`. */
  prefix?: string
  /** Sibling codings looked for, in server preference among equal q-values. Default `['br', 'zstd', 'gzip']`. */
  encodings?: readonly PrecompressedCoding[]
}

const ALL: readonly PrecompressedCoding[] = ['br', 'zstd', 'gzip']

/**
 * Serves a static file's precompressed sibling (`app.js.br`, `app.js.zst`, `app.js.gz`) when
 * the client accepts its coding, so build-time compression (brotli 11, say) costs nothing per
 * request. The answer carries the original's Content-Type, `Content-Encoding`, the sibling's
 * length, `Vary: Accept-Encoding`, a weak ETag and Last-Modified of the sibling (one ETag per
 * coding, so no two representations share a validator). Everything else goes to `next()`:
 * other methods, unsafe paths, files without siblings, and clients that want identity (which
 * then get `Vary: Accept-Encoding`, because another client would have got a sibling). The
 * original file must exist: a sibling never stands in for a missing original.
 */
export function precompressed(options: PrecompressedOptions): BriskMiddleware {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.root !== 'string' ||
    options.root === ''
  ) {
    throw new BriskOptionError(
      'precompressed root',
      options?.root,
      'the path of a directory, e.g. "./public"',
    )
  }
  const root = path.resolve(options.root)
  const prefix = options.prefix ?? '/'
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw new BriskOptionError(
      'precompressed prefix',
      prefix,
      'a URL path starting and ending with "/", e.g. "/static/"',
    )
  }
  const encodings: readonly PrecompressedCoding[] = options.encodings ?? ALL
  const list: unknown = encodings
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((c) => !ALL.includes(c as PrecompressedCoding))
  ) {
    throw new BriskOptionError('precompressed encodings', list, `a non-empty array of ${ALL.join(', ')}`)
  }

  return async function precompressedMiddleware(req, next) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    const file = resolveStaticPath(root, prefix, req.url)
    if (file === undefined) return next()
    const original = await statFile(file)
    if (original === undefined) return next()
    const found = await Promise.all(encodings.map((coding) => statFile(file + SIBLING_SUFFIX[coding])))
    const available = encodings.filter((_coding, index) => found[index] !== undefined)
    if (available.length === 0) return next()

    const choice = negotiateEncoding(headerValue(req.headers, 'accept-encoding'), available)
    if (choice === null || choice === 'identity') {
      const res = await next()
      appendVary(res.headers, 'Accept-Encoding')
      return res
    }
    const coding = choice as PrecompressedCoding
    const sibling = found[encodings.indexOf(coding)] as Stats
    const type = mime.contentType(path.basename(file))
    const res: BriskResponse = {
      status: 200,
      headers: {
        'content-type': type === false ? 'application/octet-stream' : type,
        'content-encoding': coding,
        'content-length': String(sibling.size),
        vary: 'Accept-Encoding',
        etag: `W/"${sibling.size.toString(16)}-${Math.floor(sibling.mtimeMs).toString(16)}-${coding}"`,
        'last-modified': sibling.mtime.toUTCString(),
      },
      body: req.method === 'HEAD' ? null : createReadStream(file + SIBLING_SUFFIX[coding]),
    }
    return res
  }
}

async function statFile(file: string): Promise<Stats | undefined> {
  try {
    const stats = await stat(file)
    return stats.isFile() ? stats : undefined
  } catch {
    return undefined
  }
}
