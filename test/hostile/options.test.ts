/**
 * Duration and size options, and every factory's options, fed hostile values: each either
 * works or throws a BriskOptionError at creation that names the option; never another error,
 * never later at request time.
 */
import { cache, memoryStore as cacheMemoryStore } from '@brisk/cache'
import { compress } from '@brisk/compress'
import { cacheControl, conditional } from '@brisk/conditional'
import {
  BriskOptionError,
  parseDuration,
  parseSize,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { memoryStore as limiterMemoryStore, rateLimit } from '@brisk/ratelimit'
import { createStack } from '@brisk/stack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const hostileValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^-?[0-9.e+]{0,12} ?(ms|s|m|h|d|w|y|B|KB|MB|GB|TB|kb|Mb|KiB)?$/),
  fc.double(),
  fc.integer(),
  fc.bigInt().map((n) => n as unknown),
  fc.constantFrom(
    null,
    undefined,
    true,
    false,
    NaN,
    Infinity,
    -Infinity,
    -0,
    [],
    {},
    '1e400',
    '9'.repeat(400),
    '1 MB MB',
    ' 5s ',
    '5 s',
    '0x10',
    '1_000',
  ),
  fc.object({ maxDepth: 1 }),
)

/** Runs `make` and returns the error it threw, if any. */
function thrown(make: () => unknown): unknown {
  try {
    make()
    return undefined
  } catch (error) {
    return error
  }
}

describe('durations and sizes', () => {
  it('parseDuration returns a finite non-negative number or throws a BriskOptionError naming the option', () => {
    fc.assert(
      fc.property(hostileValue, (value) => {
        let result: number | undefined
        const error = thrown(() => (result = parseDuration(value as never, 'myOption')))
        if (error === undefined) {
          expect(Number.isFinite(result)).toBe(true)
          expect(result).toBeGreaterThanOrEqual(0)
        } else {
          expect(error).toBeInstanceOf(BriskOptionError)
          expect(String((error as Error).message)).toContain('myOption')
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('parseSize returns a finite non-negative whole number or throws a BriskOptionError naming the option', () => {
    fc.assert(
      fc.property(hostileValue, (value) => {
        let result: number | undefined
        const error = thrown(() => (result = parseSize(value as never, 'mySize')))
        if (error === undefined) {
          expect(Number.isInteger(result)).toBe(true)
          expect(result).toBeGreaterThanOrEqual(0)
        } else {
          expect(error).toBeInstanceOf(BriskOptionError)
          expect(String((error as Error).message)).toContain('mySize')
        }
      }),
      { numRuns: 2000 },
    )
  })
})

const factories: [string, (value: unknown) => unknown][] = [
  ['cache ttl', (v) => cache({ ttl: v as never, logger: false })],
  ['cache maxBodySize', (v) => cache({ maxBodySize: v as never, logger: false })],
  ['cache staleWhileRevalidate', (v) => cache({ staleWhileRevalidate: v as never, logger: false })],
  ['cache coalesce', (v) => cache({ coalesce: v as never, logger: false })],
  ['cache memoryStore maxSize', (v) => cacheMemoryStore({ maxSize: v as never })],
  ['compress threshold', (v) => compress({ threshold: v as never })],
  ['conditional options', (v) => conditional(v as never)],
  ['cacheControl rules', (v) => cacheControl({ rules: [{ path: '/**', cacheControl: v as never }] })],
  ['rateLimit window', (v) => rateLimit({ limit: 5, window: v as never })],
  ['rateLimit limit', (v) => rateLimit({ limit: v as never, window: '1m' })],
  ['rateLimit ipv6Subnet', (v) => rateLimit({ limit: 5, window: '1m', ipv6Subnet: v as never })],
  // lru-cache preallocates maxKeys slots (1e7: 0.6 s, 200 MB), so valid values above 1e6 are
  // folded to 1e6 to keep the run short; values above the 1e7 bound must throw BriskOptionError.
  [
    'limiter memoryStore maxKeys',
    (v) => limiterMemoryStore({ maxKeys: (typeof v === 'number' && v > 1e6 && v <= 1e7 ? 1e6 : v) as never }),
  ],
  ['stack cache', (v) => createStack({ cache: { ttl: v as never }, logger: false })],
]

describe('option validation of every factory', () => {
  it.each(factories)(
    '%s: a hostile value builds a middleware or throws BriskOptionError at creation',
    (_name, make) => {
      fc.assert(
        fc.property(hostileValue, (value) => {
          const error = thrown(() => make(value))
          if (error !== undefined) expect(error).toBeInstanceOf(BriskOptionError)
        }),
        { numRuns: 300 },
      )
    },
  )

  it('a middleware built from accepted hostile values answers a request without throwing', async () => {
    const ok = async (): Promise<BriskResponse> => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: Buffer.alloc(4000, 'a'),
    })
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...factories), hostileValue, async ([, make], value) => {
        let middleware: unknown
        if (thrown(() => (middleware = make(value))) !== undefined) return
        if (typeof middleware !== 'function') return // a store, not a middleware
        const req: BriskRequest = {
          method: 'GET',
          url: '/',
          headers: {},
          clientAddress: '192.0.2.9',
          hints: {},
        }
        const response = await (
          middleware as (r: BriskRequest, n: () => Promise<BriskResponse>) => Promise<BriskResponse>
        )(req, ok)
        expect(response.status).toBeLessThan(500)
      }),
      { numRuns: 500 },
    )
  })
})
