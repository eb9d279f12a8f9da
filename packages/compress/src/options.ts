import compressible from 'compressible'
import { BriskOptionError, parseSize, resolveMetrics, type BriskMetrics, type Size } from '@brisk/core'
import { LEVEL_RANGES, SUPPORTED_CODINGS, type CodingLevels } from './codings.js'
import type { Coding } from './negotiate.js'

/** Options of {@link compress}. Every field is optional; the defaults are measured (see bench/). */
export interface CompressOptions {
  /** Smallest body worth compressing; smaller ones go out as they are (below ~1 KB the coding's framing eats the gain). Default `'1 KB'`. */
  threshold?: Size
  /** Codings offered, in server preference among equal q-values. Default `['br', 'zstd', 'gzip', 'deflate']`; zstd is left out where `node:zlib` lacks it (Node < 22.15). */
  encodings?: readonly Coding[]
  /** Which media types to compress, given the lower-case essence (`text/html`). Default: the `compressible` database (text/*, JSON, XML, JS, SVG, ...). */
  filter?: (mediaType: string) => boolean
  /** Effort for responses compressed per request. Default `{ br: 4, zstd: 3, gzip: 6, deflate: 6 }` (bench/levels.mjs). */
  level?: Partial<CodingLevels>
  /** Effort when `req.hints.willStore` says the result is stored and reused, so the cost is paid once. Default `{ br: 11, zstd: 19, gzip: 9, deflate: 9 }`. */
  storeLevel?: Partial<CodingLevels>
  /** Buffered bodies smaller than this are compressed on the calling thread, larger ones on the thread pool. Default `'16 KB'` (bench/sync-vs-async.mjs). */
  syncBelow?: Size
  /** When the client refuses identity and accepts no offered coding: `'reject'` answers 406, `'identity'` sends the body uncompressed anyway. Default `'reject'`. */
  notAcceptable?: 'reject' | 'identity'
  /** Counters `compress.responses`, `compress.bytesIn`, `compress.bytesOut` go here. Default: core's `defaultMetrics`. */
  metrics?: BriskMetrics
}

/** {@link CompressOptions} after validation, with every default filled in. */
export interface CompressSettings {
  threshold: number
  encodings: readonly Coding[]
  filter: (mediaType: string) => boolean
  level: CodingLevels
  storeLevel: CodingLevels
  syncBelow: number
  notAcceptable: 'reject' | 'identity'
  metrics: BriskMetrics
}

// bench/levels.mjs, 45 KB page of real markup and prose, median µs (ratio):
// br q3 341 (3.13), q4 558 (3.24), q5 804 (3.41), q11 41811 (3.87); gzip 4 483 (3.19),
// 6 728 (3.27), 9 903 (3.27). brotli 4 is as small as gzip 6 in 3/4 of its time; q5 buys 5% for 45%
// more time. zstd 3 is zstd's own default (no zstd in Node 20 to measure it here).
export const DEFAULT_LEVELS: Readonly<CodingLevels> = { br: 4, zstd: 3, gzip: 6, deflate: 6 }
// A stored response is compressed once and served many times: brotli 11 is 12% smaller than
// q5 at ~50x the time, paid once per store; gzip 9 likewise.
export const DEFAULT_STORE_LEVELS: Readonly<CodingLevels> = { br: 11, zstd: 19, gzip: 9, deflate: 9 }

// bench/sync-vs-async.mjs (two runs, medians, µs per call, brotli 4 / gzip 6): the thread-pool
// round trip adds ~80-130 µs (1 KB: br 34 sync vs 169 async, gzip 20 vs 136; 8 KB: br 67 vs
// 169, gzip 45 vs 129; 16 KB: br 120 vs 229, gzip 104 vs 179; 32 KB: br 272 vs 367). Below
// 16 KB the synchronous call blocks the loop for less than that round trip costs; above it the
// blocking grows linearly (~0.3 ms at 32 KB), so larger bodies go to the pool.
const DEFAULT_SYNC_BELOW = 16 * 1024

const ALL_CODINGS: readonly Coding[] = ['br', 'zstd', 'gzip', 'deflate']

function defaultFilter(type: string): boolean {
  return compressible(type) === true
}

/** Validates options once, at creation; throws {@link BriskOptionError} naming the bad option. */
export function resolveOptions(options: CompressOptions): CompressSettings {
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('compress options', options, 'an object (or nothing)')
  }
  const threshold = parseSize(options.threshold ?? 1024, 'compress threshold')
  const syncBelow = parseSize(options.syncBelow ?? DEFAULT_SYNC_BELOW, 'compress syncBelow')

  let encodings: readonly Coding[] = SUPPORTED_CODINGS
  if (options.encodings !== undefined) {
    const list: unknown = options.encodings
    if (!Array.isArray(list) || list.length === 0) {
      throw new BriskOptionError('compress encodings', list, `a non-empty array of ${ALL_CODINGS.join(', ')}`)
    }
    for (const coding of list) {
      if (!ALL_CODINGS.includes(coding as Coding)) {
        throw new BriskOptionError('compress encodings', coding, `one of ${ALL_CODINGS.join(', ')}`)
      }
    }
    // zstd is dropped on runtimes without it, so one configuration runs on Node 20 and 22+.
    encodings = [...new Set(list as Coding[])].filter((coding) => SUPPORTED_CODINGS.includes(coding))
  }

  if (options.filter !== undefined && typeof options.filter !== 'function') {
    throw new BriskOptionError('compress filter', options.filter, 'a function (mediaType: string) => boolean')
  }
  const notAcceptable = options.notAcceptable ?? 'reject'
  if (notAcceptable !== 'reject' && notAcceptable !== 'identity') {
    throw new BriskOptionError('compress notAcceptable', notAcceptable, '"reject" (answer 406) or "identity"')
  }
  const metrics = resolveMetrics(options.metrics, 'compress metrics')
  return {
    threshold,
    encodings,
    filter: options.filter ?? defaultFilter,
    level: resolveLevels(options.level, DEFAULT_LEVELS, 'compress level'),
    storeLevel: resolveLevels(options.storeLevel, DEFAULT_STORE_LEVELS, 'compress storeLevel'),
    syncBelow,
    notAcceptable,
    metrics,
  }
}

function resolveLevels(
  given: Partial<CodingLevels> | undefined,
  defaults: Readonly<CodingLevels>,
  option: string,
): CodingLevels {
  if (given === undefined) return { ...defaults }
  if (typeof given !== 'object' || given === null) {
    throw new BriskOptionError(option, given, 'an object such as { br: 4, gzip: 6 }')
  }
  const levels = { ...defaults }
  for (const [coding, value] of Object.entries(given)) {
    const range = LEVEL_RANGES[coding as Coding] as readonly [number, number] | undefined
    if (range === undefined) {
      throw new BriskOptionError(`${option}`, coding, `levels keyed by ${ALL_CODINGS.join(', ')}`)
    }
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new BriskOptionError(`${option}.${coding}`, value, `an integer from ${range[0]} to ${range[1]}`)
    }
    levels[coding as Coding] = value
  }
  return levels
}
