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
  /** Compressed files registered by hand, for builds that do not write siblings: `{ 'app.js': { br: 'compressed/app.js.br' } }`, keys and files relative to `root`. A registered file replaces the sibling of that coding. Default none. */
  files?: Readonly<Record<string, Partial<Record<PrecompressedCoding, string>>>>
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

  const registered = resolveRegistered(root, options.files)

  return async function precompressedMiddleware(req, next) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    const file = resolveStaticPath(root, prefix, req.url)
    if (file === undefined) return next()
    // Stat results are deliberately not cached. The sibling's stat gives the Content-Length and
    // ETag of the bytes opened next; a cached stat of a sibling rebuilt within its TTL would
    // frame new bytes with the old length (a cut or overlong body on a keep-alive connection)
    // under the old validator, which downstream caches keep. Doing it safely needs an
    // open + fstat of the chosen sibling per request anyway, so a cache would save only the
    // other stats: a few libuv thread-pool calls, off the event loop, on assets that are
    // usually fingerprinted and immutable. A response cache in front of precompressed(), with
    // a freshness lifetime for those paths, answers repeat requests with no stat at all.
    const original = await statFile(file)
    if (original === undefined) return next()
    const own = registered.get(file)
    const variants = encodings.map((coding) => own?.[coding] ?? file + SIBLING_SUFFIX[coding])
    const found = await Promise.all(variants.map(statFile))
    const available = encodings.filter((_coding, index) => found[index] !== undefined)
    if (available.length === 0) return next()

    const choice = negotiateEncoding(headerValue(req.headers, 'accept-encoding'), available)
    if (choice === null || choice === 'identity') {
      const res = await next()
      appendVary(res.headers, 'Accept-Encoding')
      return res
    }
    const coding = choice as PrecompressedCoding
    const index = encodings.indexOf(coding)
    const sibling = found[index] as Stats
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
      body: req.method === 'HEAD' ? null : createReadStream(variants[index] as string),
    }
    return res
  }
}

/** Registered files keyed by the original's absolute path; every path must stay inside `root`. */
function resolveRegistered(
  root: string,
  files: PrecompressedOptions['files'],
): Map<string, Partial<Record<PrecompressedCoding, string>>> {
  const map = new Map<string, Partial<Record<PrecompressedCoding, string>>>()
  if (files === undefined) return map
  if (typeof files !== 'object' || files === null) {
    throw new BriskOptionError(
      'precompressed files',
      files,
      "an object like { 'app.js': { br: 'app.js.br' } }",
    )
  }
  const inside = (relative: unknown, option: string): string => {
    const resolved = typeof relative === 'string' ? resolveStaticPath(root, '/', `/${relative}`) : undefined
    if (resolved === undefined) {
      throw new BriskOptionError(option, relative, `a path relative to root without "..", e.g. "app.js.br"`)
    }
    return resolved
  }
  for (const [name, variants] of Object.entries(files)) {
    const original = inside(name, 'precompressed files key')
    const entry: Partial<Record<PrecompressedCoding, string>> = {}
    for (const [coding, file] of Object.entries(variants ?? {})) {
      if (!ALL.includes(coding as PrecompressedCoding)) {
        throw new BriskOptionError(
          `precompressed files["${name}"]`,
          coding,
          `codings among ${ALL.join(', ')}`,
        )
      }
      entry[coding as PrecompressedCoding] = inside(file, `precompressed files["${name}"].${coding}`)
    }
    map.set(original, entry)
  }
  return map
}

async function statFile(file: string): Promise<Stats | undefined> {
  try {
    const stats = await stat(file)
    return stats.isFile() ? stats : undefined
  } catch {
    return undefined
  }
}
