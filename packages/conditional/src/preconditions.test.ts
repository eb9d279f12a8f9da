import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  evaluatePreconditions,
  lastModifiedTime,
  type PreconditionOutcome,
  type Validators,
} from './preconditions.js'

const T0 = 'Sat, 01 Jan 2000 00:00:00 GMT'
const EARLIER = 'Fri, 31 Dec 1999 23:00:00 GMT'
const LATER = 'Sat, 01 Jan 2000 01:00:00 GMT'
const CURRENT: Validators = { etag: '"v1"', lastModified: T0 }

type Row = [
  description: string,
  headers: Record<string, string>,
  safe: PreconditionOutcome,
  unsafe: PreconditionOutcome,
]

// Every step of RFC 9110 §13.2.2 and its ignore rules, for a representation tagged "v1" and
// last modified at T0. `safe` is the answer for GET and HEAD, `unsafe` for PUT and DELETE.
const rows: Row[] = [
  ['no precondition', {}, 'proceed', 'proceed'],
  // Step 1: If-Match, strong comparison.
  ['If-Match with the current tag', { 'if-match': '"v1"' }, 'proceed', 'proceed'],
  ['If-Match with another tag', { 'if-match': '"v2"' }, 412, 412],
  ['If-Match with a list holding the current tag', { 'if-match': '"v0", "v1"' }, 'proceed', 'proceed'],
  ['If-Match * on an existing representation', { 'if-match': '*' }, 'proceed', 'proceed'],
  ['If-Match with the weak form of the current tag', { 'if-match': 'W/"v1"' }, 412, 412],
  ['If-Match with a malformed tag', { 'if-match': 'v1' }, 412, 412],
  [
    'If-Match true makes If-Unmodified-Since ignored',
    { 'if-match': '"v1"', 'if-unmodified-since': EARLIER },
    'proceed',
    'proceed',
  ],
  ['If-Match false wins over If-None-Match', { 'if-match': '"v2"', 'if-none-match': '"v1"' }, 412, 412],
  // Step 2: If-Unmodified-Since, only without If-Match.
  ['If-Unmodified-Since before the modification', { 'if-unmodified-since': EARLIER }, 412, 412],
  ['If-Unmodified-Since at the modification', { 'if-unmodified-since': T0 }, 'proceed', 'proceed'],
  ['If-Unmodified-Since after the modification', { 'if-unmodified-since': LATER }, 'proceed', 'proceed'],
  ['If-Unmodified-Since with an invalid date', { 'if-unmodified-since': 'yesterday' }, 'proceed', 'proceed'],
  [
    'If-Unmodified-Since with a list of dates',
    { 'if-unmodified-since': `${EARLIER}, ${EARLIER}` },
    'proceed',
    'proceed',
  ],
  [
    'If-Unmodified-Since false wins over If-None-Match',
    { 'if-unmodified-since': EARLIER, 'if-none-match': '"v1"' },
    412,
    412,
  ],
  // Step 3: If-None-Match, weak comparison.
  ['If-None-Match with the current tag', { 'if-none-match': '"v1"' }, 304, 412],
  ['If-None-Match with the weak form of the current tag', { 'if-none-match': 'W/"v1"' }, 304, 412],
  ['If-None-Match with a list holding the current tag', { 'if-none-match': '"v0", W/"v1"' }, 304, 412],
  ['If-None-Match with another tag', { 'if-none-match': '"v2"' }, 'proceed', 'proceed'],
  ['If-None-Match * on an existing representation', { 'if-none-match': '*' }, 304, 412],
  ['If-None-Match with a malformed list', { 'if-none-match': 'v1, "v1' }, 'proceed', 'proceed'],
  ['If-Match true then If-None-Match false', { 'if-match': '"v1"', 'if-none-match': '"v1"' }, 304, 412],
  [
    'If-Unmodified-Since true then If-None-Match false',
    { 'if-unmodified-since': LATER, 'if-none-match': '"v1"' },
    304,
    412,
  ],
  [
    'If-None-Match true makes If-Modified-Since ignored',
    { 'if-none-match': '"v2"', 'if-modified-since': LATER },
    'proceed',
    'proceed',
  ],
  [
    'If-None-Match false with a stale If-Modified-Since',
    { 'if-none-match': '"v1"', 'if-modified-since': EARLIER },
    304,
    412,
  ],
  // Step 4: If-Modified-Since, GET and HEAD only.
  ['If-Modified-Since at the modification', { 'if-modified-since': T0 }, 304, 'proceed'],
  ['If-Modified-Since after the modification', { 'if-modified-since': LATER }, 304, 'proceed'],
  ['If-Modified-Since before the modification', { 'if-modified-since': EARLIER }, 'proceed', 'proceed'],
  ['If-Modified-Since with an invalid date', { 'if-modified-since': 'foo' }, 'proceed', 'proceed'],
  [
    'If-Modified-Since with a list of dates',
    { 'if-modified-since': `${LATER}, ${LATER}` },
    'proceed',
    'proceed',
  ],
  [
    'If-Modified-Since in RFC 850 form',
    { 'if-modified-since': 'Saturday, 01-Jan-00 00:00:00 GMT' },
    304,
    'proceed',
  ],
  ['If-Modified-Since in asctime form', { 'if-modified-since': 'Sat Jan  1 00:00:00 2000' }, 304, 'proceed'],
  [
    'If-Unmodified-Since true then If-Modified-Since false',
    { 'if-unmodified-since': LATER, 'if-modified-since': LATER },
    304,
    'proceed',
  ],
]

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
    const safe = method === 'GET' || method === 'HEAD'
    it.each(rows.map(([description, headers, s, u]) => [description, headers, safe ? s : u] as const))(
      `${method}: %s → %s`,
      (_description, headers, expected) => {
        expect(evaluatePreconditions(method, headers, CURRENT)).toBe(expected)
      },
    )
  }

  it.each(['OPTIONS', 'CONNECT', 'TRACE'])('ignores every precondition on %s', (method) => {
    expect(evaluatePreconditions(method, { 'if-match': '"v2"', 'if-none-match': '"v1"' }, CURRENT)).toBe(
      'proceed',
    )
  })

  it.each(['POST', 'PATCH'])('answers 412 to %s when If-Match fails', (method) => {
    expect(evaluatePreconditions(method, { 'if-match': '"v2"' }, CURRENT)).toBe(412)
  })
})

describe('evaluatePreconditions without a current representation', () => {
  it.each([
    ['PUT', { 'if-match': '*' }, 412],
    ['PUT', { 'if-match': '"v1"' }, 412],
    ['PUT', { 'if-none-match': '*' }, 'proceed'],
    ['PUT', { 'if-none-match': '"v1"' }, 'proceed'],
    ['PUT', { 'if-unmodified-since': EARLIER }, 'proceed'],
    ['DELETE', { 'if-match': '*' }, 412],
    // The unconditional answer would be 404, so §13.2.1 has the preconditions ignored.
    ['GET', { 'if-match': '*' }, 'proceed'],
    ['HEAD', { 'if-none-match': '*' }, 'proceed'],
  ] as const)('%s with %j → %s', (method, headers, expected) => {
    expect(evaluatePreconditions(method, headers, null)).toBe(expected)
  })
})

describe('evaluatePreconditions with partial validators', () => {
  it.each([
    ['If-Match a tag, no ETag known', { lastModified: T0 }, { 'if-match': '"v1"' }, 'PUT', 412],
    ['If-Match *, no ETag known', { lastModified: T0 }, { 'if-match': '*' }, 'PUT', 'proceed'],
    ['If-None-Match, no ETag known', { lastModified: T0 }, { 'if-none-match': '"v1"' }, 'GET', 'proceed'],
    ['If-None-Match *, no ETag known', { lastModified: T0 }, { 'if-none-match': '*' }, 'GET', 304],
    [
      'If-Modified-Since, no Last-Modified known',
      { etag: '"v1"' },
      { 'if-modified-since': LATER },
      'GET',
      'proceed',
    ],
    [
      'If-Unmodified-Since, no Last-Modified known',
      { etag: '"v1"' },
      { 'if-unmodified-since': EARLIER },
      'PUT',
      'proceed',
    ],
    ['a malformed current ETag', { etag: 'v1' }, { 'if-none-match': 'v1' }, 'GET', 'proceed'],
    ['an invalid Last-Modified', { lastModified: 'foo' }, { 'if-modified-since': LATER }, 'GET', 'proceed'],
    ['a weak current ETag and If-Match', { etag: 'W/"v1"' }, { 'if-match': 'W/"v1"' }, 'PUT', 412],
    ['a weak current ETag and If-None-Match', { etag: 'W/"v1"' }, { 'if-none-match': '"v1"' }, 'GET', 304],
  ] as const)('%s', (_description, current, headers, method, expected) => {
    expect(evaluatePreconditions(method, headers, current)).toBe(expected)
  })

  it('compares a Last-Modified Date with milliseconds at one-second resolution', () => {
    const lastModified = new Date(Date.parse(T0) + 750)
    expect(evaluatePreconditions('GET', { 'if-modified-since': T0 }, { lastModified })).toBe(304)
  })

  it('accepts Last-Modified as epoch milliseconds', () => {
    expect(evaluatePreconditions('GET', { 'if-modified-since': T0 }, { lastModified: Date.parse(T0) })).toBe(
      304,
    )
  })

  it('treats an invalid Date as no Last-Modified', () => {
    expect(lastModifiedTime(new Date(Number.NaN))).toBeUndefined()
  })
})

// The jshttp `fresh` package's own cases (test/fresh.js), re-expressed: fresh(req, res) is
// true exactly when a GET is answered 304. Expectations differ where noted.
describe('the fresh package cases', () => {
  const A = 'Sat, 01 Jan 2000 00:00:00 GMT'
  const B = 'Sat, 01 Jan 2000 01:00:00 GMT'
  it.each([
    ['a non-conditional GET is stale', {}, {}, false],
    ['matching ETags are fresh', { 'if-none-match': '"foo"' }, { etag: '"foo"' }, true],
    ['mismatching ETags are stale', { 'if-none-match': '"foo"' }, { etag: '"bar"' }, false],
    ['a list with one match is fresh', { 'if-none-match': ' "bar" , "foo"' }, { etag: '"foo"' }, true],
    [
      'a tab-separated list with one match is fresh',
      { 'if-none-match': '"bar",\t"foo"' },
      { etag: '"foo"' },
      true,
    ],
    ['a missing ETag is stale', { 'if-none-match': '"foo"' }, {}, false],
    ['a weak tag matches the same weak tag', { 'if-none-match': 'W/"foo"' }, { etag: 'W/"foo"' }, true],
    ['a weak tag matches the strong tag', { 'if-none-match': 'W/"foo"' }, { etag: '"foo"' }, true],
    ['a strong tag matches the same strong tag', { 'if-none-match': '"foo"' }, { etag: '"foo"' }, true],
    ['a strong tag matches the weak tag', { 'if-none-match': '"foo"' }, { etag: 'W/"foo"' }, true],
    ['* is fresh', { 'if-none-match': '*' }, { etag: '"foo"' }, true],
    ['* inside a list is ignored', { 'if-none-match': '*, "bar"' }, { etag: '"foo"' }, false],
    ['modified since the date is stale', { 'if-modified-since': A }, { lastModified: B }, false],
    ['unmodified since the date is fresh', { 'if-modified-since': B }, { lastModified: A }, true],
    ['a missing Last-Modified is stale', { 'if-modified-since': A }, {}, false],
    ['an invalid If-Modified-Since is stale', { 'if-modified-since': 'foo' }, { lastModified: A }, false],
    ['an invalid Last-Modified is stale', { 'if-modified-since': A }, { lastModified: 'foo' }, false],
    [
      'both matching is fresh',
      { 'if-none-match': '"foo"', 'if-modified-since': B },
      { etag: '"foo"', lastModified: A },
      true,
    ],
    [
      'only the ETag matching is fresh',
      { 'if-none-match': '"foo"', 'if-modified-since': A },
      { etag: '"foo"', lastModified: B },
      true,
    ],
    [
      'only Last-Modified matching is stale',
      { 'if-none-match': '"foo"', 'if-modified-since': B },
      { etag: '"bar"', lastModified: A },
      false,
    ],
    [
      'none matching is stale',
      { 'if-none-match': '"foo"', 'if-modified-since': A },
      { etag: '"bar"', lastModified: B },
      false,
    ],
    ['Cache-Control: no-cache alone is stale', { 'cache-control': ' no-cache' }, {}, false],
    // fresh answers stale to a request with Cache-Control: no-cache, for end-to-end reloads.
    // RFC 9111 §5.2.1.4 only asks caches to validate with the origin before using a stored
    // response; an origin's 304 is that validation, so brisk answers 304 here.
    [
      'no-cache with matching ETags is fresh (fresh: stale)',
      { 'cache-control': ' no-cache', 'if-none-match': '"foo"' },
      { etag: '"foo"' },
      true,
    ],
    [
      'no-cache unmodified since the date is fresh (fresh: stale)',
      { 'cache-control': ' no-cache', 'if-modified-since': B },
      { lastModified: A },
      true,
    ],
  ] as const)('%s', (_description, request, current, isFresh) => {
    expect(evaluatePreconditions('GET', request, current)).toBe(isFresh ? 304 : 'proceed')
  })
})

describe('evaluatePreconditions on arbitrary input', () => {
  it('always answers proceed, 304 or 412 and never throws', () => {
    const field = fc.option(fc.string({ unit: 'binary', maxLength: 120 }), { nil: undefined })
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'OPTIONS'),
        fc.record({
          'if-match': field,
          'if-none-match': field,
          'if-modified-since': field,
          'if-unmodified-since': field,
        }),
        fc.option(fc.record({ etag: field, lastModified: field }), { nil: null }),
        (method, headers, current) => {
          expect(['proceed', 304, 412]).toContain(evaluatePreconditions(method, headers, current))
        },
      ),
    )
  })
})
