/**
 * Hostile request headers through the whole stack (rate limit, conditional, cache, policy,
 * compress) on the node adapter: whatever the Accept-Encoding, Cache-Control, If-None-Match,
 * If-Match, HTTP dates, Range or the Vary the app answers with, the client gets a complete,
 * correct HTTP answer: the page's exact bytes (after its Content-Encoding), a 304 or 412 only
 * when it sent a precondition, never a 5xx, never a hang.
 */
import { createServer, type Server } from 'node:http'
import { createStack } from '@brisk/stack'
import { memoryStore } from '@brisk/cache'
import { withBrisk } from '@brisk/node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, listen, send, type RawResponse } from './raw-http.js'

const PAGE = Buffer.from(`<!doctype html><title>t</title>${'<p>brisk hostile header test</p>'.repeat(200)}`)
const ETAG = '"page-v1"'
const LAST_MODIFIED = 'Tue, 01 Jan 2030 00:00:00 GMT'

let server: Server
let port: number
let appCalls = 0

beforeAll(async () => {
  const stack = createStack({
    rateLimit: { limit: 1_000_000, window: '1m' },
    cache: { ttl: '30s', store: memoryStore({ maxSize: '4 MB' }) },
    cacheControl: { rules: [{ path: '/**', cacheControl: 'public, max-age=60' }] },
    logger: false,
  })
  server = createServer(
    { maxHeaderSize: 64 * 1024 },
    withBrisk(
      stack,
      (req, res) => {
        appCalls++
        res.setHeader('content-type', 'text/html; charset=utf-8')
        res.setHeader('etag', ETAG)
        res.setHeader('last-modified', LAST_MODIFIED)
        // The app answers with whatever Vary the test asks for, so the cache parses it too.
        const vary = req.headers['x-app-vary']
        if (typeof vary === 'string') res.setHeader('vary', vary)
        res.end(PAGE)
      },
      { logger: false },
    ),
  )
  port = await listen(server)
})

afterAll(async () => {
  await close(server)
})

const PRECONDITIONS_304 = ['if-none-match', 'if-modified-since']
const PRECONDITIONS_412 = ['if-match', 'if-unmodified-since']

/** The one rule every answer here must follow. */
function expectCorrect(response: RawResponse, sent: Record<string, string>, method = 'GET'): void {
  const names = Object.keys(sent).map((name) => name.toLowerCase())
  if (response.status === 504) {
    // RFC 9111 §5.2.1.7: only-if-cached with nothing usable stored is answered 504.
    expect(sent['cache-control'] ?? '', JSON.stringify(sent)).toMatch(/only-if-cached/i)
    return
  }
  expect(response.status, JSON.stringify(sent)).toBeLessThan(500)
  if (response.status === 200) {
    expect(response.body.equals(method === 'HEAD' ? Buffer.alloc(0) : PAGE), JSON.stringify(sent)).toBe(true)
  } else if (response.status === 304) {
    expect(
      names.some((name) => PRECONDITIONS_304.includes(name)),
      JSON.stringify(sent),
    ).toBe(true)
    expect(response.raw.length).toBe(0)
  } else if (response.status === 412) {
    expect(
      names.some((name) => PRECONDITIONS_412.includes(name)),
      JSON.stringify(sent),
    ).toBe(true)
  } else if (response.status === 406) {
    // Acceptable only when the client refused identity (RFC 9110 §12.5.3).
    const field = sent['accept-encoding'] ?? ''
    expect(/identity|\*/i.test(field), JSON.stringify(sent)).toBe(true)
  } else {
    expect.fail(`unexpected ${response.status} for ${JSON.stringify(sent)}`)
  }
}

/** Header values node's client can carry: visible ASCII, spaces, tabs and latin1 obs-text. */
const fieldText = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
        { weight: 1, arbitrary: fc.constantFrom(0x09, 0x80, 0xa0, 0xe9, 0xff) },
      ),
      { maxLength },
    )
    .map((codes) => String.fromCharCode(...codes).trim())

/** Values shaped like the field's grammar, with hostile parts mixed in. */
const token = fc.stringMatching(/^[a-zA-Z0-9*!#$%&'+.^_`|~-]{0,12}$/)
const qvalue = fc.oneof(
  fc.constantFrom('1', '0', '0.5', '1.000', '0.001', '2', '-1', 'abc', '1e3', ''),
  fieldText(5),
)
const acceptEncoding = fc.oneof(
  fieldText(200),
  fc
    .array(
      fc.tuple(
        fc.oneof(token, fc.constantFrom('gzip', 'br', 'zstd', 'deflate', 'identity', '*', 'x-gzip', 'GZIP')),
        qvalue,
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.map(([coding, q]) => `${coding};q=${q}`).join(', ')),
)
const cacheControlValue = fc.oneof(
  fieldText(200),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'max-age',
          'no-cache',
          'no-store',
          'max-stale',
          'min-fresh',
          'only-if-cached',
          's-maxage',
          'no-transform',
          token,
        ),
        fc.option(
          fc.oneof(fc.constantFrom('0', '-1', '99999999999999999999', '"5"', '1.5', ''), fieldText(8)),
        ),
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.map(([name, value]) => (value === null ? name : `${name}=${value}`)).join(', ')),
)
const entityTags = fc.oneof(
  fieldText(200),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(ETAG, `W/${ETAG}`, '*', '"other"', 'W/"x"', '"', 'W/', '"unterminated'),
        token,
      ),
      {
        maxLength: 10,
      },
    )
    .map((tags) => tags.join(', ')),
)
const httpDate = fc.oneof(
  fieldText(60),
  fc.constantFrom(
    LAST_MODIFIED,
    'Tue, 01 Jan 2030 00:00:01 GMT',
    'Sun, 06 Nov 1994 08:49:37 GMT',
    'Sunday, 06-Nov-94 08:49:37 GMT',
    'Sun Nov  6 08:49:37 1994',
    'Thu, 31 Dec 9999 23:59:59 GMT',
    'Thu, 01 Jan 1970 00:00:00 GMT',
    '0',
    '-1',
    'Fri, 32 Feb 2030 25:61:61 GMT',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
)
const range = fc.oneof(
  fieldText(100),
  fc
    .array(
      fc.tuple(
        fc.option(fc.integer({ min: -5, max: 99999 })),
        fc.option(fc.integer({ min: -5, max: 99999 })),
      ),
      {
        maxLength: 6,
      },
    )
    .map((ranges) => `bytes=${ranges.map(([a, b]) => `${a ?? ''}-${b ?? ''}`).join(',')}`),
)
const vary = fc.oneof(
  fieldText(100),
  fc
    .array(fc.oneof(token, fc.constantFrom('accept-encoding', 'Accept-Language', '*', 'cookie', '')), {
      maxLength: 12,
    })
    .map((f) => f.join(', ')),
)

const hostileHeaders = fc.record(
  {
    'accept-encoding': acceptEncoding,
    'cache-control': cacheControlValue,
    pragma: fc.oneof(fc.constant('no-cache'), fieldText(20)),
    'if-none-match': entityTags,
    'if-match': entityTags,
    'if-modified-since': httpDate,
    'if-unmodified-since': httpDate,
    'if-range': fc.oneof(entityTags, httpDate),
    range,
    'x-app-vary': vary,
    'accept-language': fieldText(40),
  },
  { requiredKeys: [] },
)

describe('hostile request headers through the full stack on node:http', () => {
  it('answers every mix of malformed Accept-Encoding, Cache-Control, validators, dates, Range and Vary correctly', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileHeaders,
        fc.constantFrom('GET', 'HEAD'),
        fc.integer({ min: 0, max: 3 }),
        async (headers, method, page) => {
          const response = await send(port, `/p/${page}`, headers, method)
          expectCorrect(response, headers, method)
        },
      ),
      { numRuns: 300 },
    )
  })

  it.each([
    ['an empty Accept-Encoding', { 'accept-encoding': '' }],
    ['a q-value out of range', { 'accept-encoding': 'gzip;q=2, br;q=-1' }],
    ['a coding list of 16 KB', { 'accept-encoding': 'gzip;q=0.1, '.repeat(1365) }],
    ['identity refused with nothing else acceptable', { 'accept-encoding': 'identity;q=0, *;q=0' }],
    ['max-age with a number beyond 2^53', { 'cache-control': 'max-age=99999999999999999999999' }],
    ['max-age negative', { 'cache-control': 'max-age=-5' }],
    ['only-if-cached with garbage around it', { 'cache-control': ',,,only-if-cached,=,;' }],
    ['a Cache-Control of 16 KB', { 'cache-control': 'no-cache, '.repeat(1600) }],
    ['an unterminated entity tag', { 'if-none-match': '"page-v1' }],
    ['an If-None-Match list of 16 KB', { 'if-none-match': '"x", '.repeat(3200) + ETAG }],
    ['If-Match with a weak tag (strong comparison fails)', { 'if-match': `W/${ETAG}` }],
    ['If-Match with a list of 16 KB', { 'if-match': '"y", '.repeat(3200) }],
    ['an impossible date', { 'if-modified-since': 'Fri, 32 Feb 2030 25:61:61 GMT' }],
    ['a date of 16 KB', { 'if-unmodified-since': 'x'.repeat(16 * 1024) }],
    ['a year 9999 date', { 'if-modified-since': 'Thu, 31 Dec 9999 23:59:59 GMT' }],
    ['a Range of 1000 parts', { range: `bytes=${'0-1,'.repeat(999)}0-1` }],
    ['a Range beyond the body', { range: 'bytes=999999-' }],
    ['a Range with a negative start', { range: 'bytes=-0' }],
    [
      'an app Vary of 100 fields',
      { 'x-app-vary': Array.from({ length: 100 }, (_, i) => `x-f${i}`).join(', ') },
    ],
    ['an app Vary of 16 KB', { 'x-app-vary': 'accept-language, '.repeat(1000) }],
    ['an app Vary with empty members', { 'x-app-vary': ',, ,accept-encoding,,' }],
  ])('answers %s correctly', async (_name, headers: Record<string, string>) => {
    for (let i = 0; i < 2; i++) expectCorrect(await send(port, '/table', headers), headers)
  })

  it('answers 304 to a matching If-None-Match and 412 to a failing If-Match (the parsers still work)', async () => {
    expect((await send(port, '/table', { 'if-none-match': `"a", ${ETAG}` })).status).toBe(304)
    expect((await send(port, '/table', { 'if-match': '"other"' })).status).toBe(412)
    expect((await send(port, '/table', { 'if-match': ETAG })).status).toBe(200)
  })

  it('calls the app for the hostile requests without losing count (the cache answers some, none fail)', () => {
    expect(appCalls).toBeGreaterThan(0)
  })
})
