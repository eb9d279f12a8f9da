import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { identityAcceptable, negotiateEncoding, type Coding, type Negotiated } from './negotiate.js'

const ALL: readonly Coding[] = ['br', 'zstd', 'gzip', 'deflate']
const NO_ZSTD: readonly Coding[] = ['br', 'gzip', 'deflate']

// [Accept-Encoding (undefined = absent), offered, expected]
const TABLE: ReadonlyArray<readonly [string | undefined, readonly Coding[], Negotiated]> = [
  // absent, empty, blank: identity
  [undefined, ALL, 'identity'],
  ['', ALL, 'identity'],
  ['   ', ALL, 'identity'],
  // one coding
  ['gzip', ALL, 'gzip'],
  ['br', ALL, 'br'],
  ['deflate', ALL, 'deflate'],
  ['zstd', ALL, 'zstd'],
  ['zstd', NO_ZSTD, 'identity'],
  ['GZIP', ALL, 'gzip'],
  ['  gzip  ', ALL, 'gzip'],
  // server preference among equal q: br, zstd, gzip, deflate
  ['gzip, deflate, br', ALL, 'br'],
  ['gzip, deflate, br, zstd', ALL, 'br'],
  ['gzip, deflate, br, zstd', NO_ZSTD, 'br'],
  ['gzip, zstd', ALL, 'zstd'],
  ['deflate, gzip', ALL, 'gzip'],
  ['gzip, br', ['gzip', 'br'], 'gzip'],
  // q-values decide before preference
  ['br;q=0.85, gzip', ALL, 'gzip'],
  ['br;q=0.85, gzip;q=0.9', ALL, 'gzip'],
  ['br;q=1, gzip;q=0.9', ALL, 'br'],
  ['gzip;q=0.5, deflate;q=0.6', ALL, 'deflate'],
  ['br;q=0.001, gzip;q=0', ALL, 'br'],
  ['br;Q=0.2, gzip;q=0.1', ALL, 'br'],
  ['gzip ; q=0.8 , br ; q=0.9', ALL, 'br'],
  ['gzip;q=0.5, identity', ALL, 'identity'],
  ['gzip, identity;q=0.5', ALL, 'gzip'],
  // zero quality removes a coding
  ['gzip;q=0', ALL, 'identity'],
  ['br;q=0, gzip', ALL, 'gzip'],
  ['br;q=0, gzip;q=0, deflate;q=0', ALL, 'identity'],
  // the wildcard
  ['*', ALL, 'br'],
  ['*', ['gzip'], 'gzip'],
  ['*;q=0.5, gzip', ALL, 'gzip'],
  ['gzip;q=0, *', ALL, 'br'],
  ['br;q=0, *', NO_ZSTD, 'gzip'],
  ['*;q=0', ALL, null],
  ['*;q=0, identity', ALL, 'identity'],
  ['*;q=0, gzip', ALL, 'gzip'],
  // identity refused
  ['identity;q=0', ALL, null],
  ['identity;q=0, gzip', ALL, 'gzip'],
  ['identity;q=0, gzip;q=0', ALL, null],
  ['identity;q=0, zstd', NO_ZSTD, null],
  ['identity;q=0, *;q=0', ALL, null],
  ['identity;q=0, *', ALL, 'br'],
  ['identity', ALL, 'identity'],
  // x-gzip is gzip (RFC 9110 §8.4.1.3)
  ['x-gzip', ALL, 'gzip'],
  ['x-gzip;q=0.5, deflate;q=0.4', ALL, 'gzip'],
  ['X-GZIP, br', ALL, 'br'],
  ['x-gzip, identity;q=0', ['gzip'], 'gzip'],
  // unknown codings are ignored
  ['compress', ALL, 'identity'],
  ['compress, gzip;q=0.1', ALL, 'gzip'],
  ['sdch, gzip', ALL, 'gzip'],
  // garbage degrades to identity (or to whatever valid member it holds), never throws
  ['garbage;;=,,', ALL, 'identity'],
  [';q=1', ALL, 'identity'],
  [',,,', ALL, 'identity'],
  ['gzip;q=abc', ALL, 'identity'],
  ['gzip;q=abc, br', ALL, 'br'],
  ['gzip;q=', ALL, 'gzip'], // an empty q parameter is ignored, as negotiator reads it
  // a q that is not a qvalue (0 to 1, three decimals) voids its member, never identity
  ['gzip;q=-1', ALL, 'identity'],
  ['identity;q=<', ALL, 'identity'],
  ['gzip;q=2, br;q=0.5', ALL, 'br'],
  ['gzip;q=1.0001, deflate', ALL, 'deflate'],
  ['gzip;q=0.5;level=1', ALL, 'gzip'],
  ['\u00e9\u00e9, gzip', ALL, 'gzip'],
  ['"gzip"', ALL, 'identity'],
  [`${'a'.repeat(5000)}, gzip`, ALL, 'identity'],
  // Chrome, Firefox, Safari and curl as they send it
  ['gzip, deflate, br, zstd', NO_ZSTD, 'br'],
  ['gzip, deflate', ALL, 'gzip'],
  ['br;q=1.0, gzip;q=0.8, *;q=0.1', ALL, 'br'],
  ['deflate, gzip;q=1.0, *;q=0.5', ALL, 'gzip'],
]

describe('negotiateEncoding', () => {
  it('has a table of at least 40 Accept-Encoding cases', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40)
  })

  it.each(TABLE)('Accept-Encoding %j offering %j chooses %j', (header, offered, expected) => {
    expect(negotiateEncoding(header, offered)).toBe(expected)
  })

  it('answers identity for an absent header even when nothing is offered', () => {
    expect(negotiateEncoding(undefined, [])).toBe('identity')
  })
})

describe('identityAcceptable', () => {
  it.each(TABLE.map(([header]) => [header] as const))(
    'agrees with negotiateEncoding offering nothing for %j',
    (header) => {
      expect(identityAcceptable(header)).toBe(negotiateEncoding(header, []) === 'identity')
    },
  )

  it.each([
    ['identity;q=0.000', false],
    ['identity;Q=0', false],
    ['*;q=0.0', false],
    ['gzip;q=0.5, identity;q=0', false],
    ['*;q=0, identity;q=0.1', true],
    ['identity;q=0.01', true],
    ['gzip, deflate, br, zstd', true],
  ] as const)('answers %j: %j', (header, expected) => {
    expect(identityAcceptable(header)).toBe(expected)
    expect(negotiateEncoding(header, []) === 'identity').toBe(expected)
  })

  it('agrees with negotiateEncoding on arbitrary headers made of codings, q-values and separators', () => {
    const member = fc
      .tuple(
        fc.constantFrom('identity', 'IDENTITY', '*', 'gzip', 'br', 'x-gzip', 'compress', ''),
        fc.option(fc.constantFrom('0', '0.0', '0.000', '0.5', '1', '1.0', '-1', 'x', ''), { nil: undefined }),
        fc.constantFrom('', ' ', '  '),
      )
      .map(([coding, q, space]) => (q === undefined ? coding : `${coding}${space};${space}q=${q}`))
    fc.assert(
      fc.property(fc.array(member, { maxLength: 5 }), fc.constantFrom(',', ', ', ' ,'), (members, sep) => {
        const header = members.join(sep)
        expect(identityAcceptable(header)).toBe(negotiateEncoding(header, []) === 'identity')
      }),
    )
  })
})
