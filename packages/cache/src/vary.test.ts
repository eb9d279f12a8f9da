import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  acceptsEncoding,
  encodingBucket,
  isVaryStorable,
  parseVary,
  variantKey,
  variantKeyOf,
  varyValue,
} from './vary.js'

describe('parseVary', () => {
  const cases: Array<[value: string | string[] | undefined, expected: unknown]> = [
    [undefined, undefined],
    ['', undefined],
    [' , ', undefined],
    ['Accept-Encoding', ['accept-encoding']],
    ['Accept-Language, accept-encoding, ACCEPT-ENCODING', ['accept-encoding', 'accept-language']],
    [
      ['Cookie', 'Accept'],
      ['accept', 'cookie'],
    ],
    ['Accept, *', '*'],
  ]
  it.each(cases)('parses %o as %o', (value, expected) => {
    expect(parseVary(value)).toEqual(expected)
  })

  it('refuses to store Vary: * and more than 8 fields', () => {
    expect(isVaryStorable('*')).toBe(false)
    expect(isVaryStorable(Array.from({ length: 9 }, (_, i) => `x-${i}`))).toBe(false)
    expect(isVaryStorable(['accept-encoding'])).toBe(true)
    expect(isVaryStorable(undefined)).toBe(true)
  })
})

describe('encodingBucket', () => {
  const cases: Array<[acceptEncoding: string | undefined, bucket: string]> = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['zstd', 'zstd'],
    ['br;q=0.5, gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['x-gzip', 'gzip'],
    ['*', 'br'],
    ['identity;q=0', 'none'],
    ['gzip;q=0, identity;q=0', 'none'],
    ['x'.repeat(2000), 'identity'],
  ]
  it.each(cases)('puts Accept-Encoding %o in bucket %s', (acceptEncoding, bucket) => {
    expect(encodingBucket(acceptEncoding)).toBe(bucket)
  })
})

describe('acceptsEncoding', () => {
  const cases: Array<[acceptEncoding: string | undefined, contentEncoding: string | undefined, ok: boolean]> =
    [
      [undefined, undefined, true],
      [undefined, 'gzip', false],
      ['gzip', 'gzip', true],
      ['gzip', 'br', false],
      ['br, gzip;q=0', 'gzip', false],
      ['*', 'zstd', true],
      ['gzip', undefined, true],
      ['identity;q=0, gzip', undefined, false],
      ['GZIP', 'gzip', true],
      ['x-gzip', 'gzip', true],
    ]
  it.each(cases)(
    'Accept-Encoding %o accepts Content-Encoding %o: %s',
    (acceptEncoding, contentEncoding, ok) => {
      expect(acceptsEncoding(acceptEncoding, contentEncoding)).toBe(ok)
    },
  )
})

describe('varyValue and variantKey', () => {
  it('normalizes Accept-Encoding to its bucket', () => {
    expect(varyValue({ 'accept-encoding': 'gzip, deflate, br' }, 'accept-encoding')).toBe('br')
  })

  it('gives equivalent requests the same variant key', () => {
    const a = variantKey('GET /', 'id', ['accept-encoding', 'accept-language'], {
      'accept-encoding': 'br, gzip',
      'accept-language': ' en ',
    })
    const b = variantKey('GET /', 'id', ['accept-encoding', 'accept-language'], {
      'accept-encoding': 'gzip, deflate, br',
      'accept-language': 'en',
    })
    expect(a).toBe(b)
  })

  it('separates requests with different values and absent fields', () => {
    const key = (headers: Record<string, string>) => variantKey('GET /', 'id', ['accept-language'], headers)
    expect(key({ 'accept-language': 'en' })).not.toBe(key({ 'accept-language': 'fr' }))
    expect(key({})).not.toBe(key({ 'accept-language': 'en' }))
  })

  it('keeps an empty value apart from an absent field, and digests values that could pass for another', () => {
    const key = (headers: Record<string, string>) => variantKey('GET /', 'id', ['x-mode'], headers)
    expect(key({ 'x-mode': '' })).not.toBe(key({}))
    expect(key({ 'x-mode': '\u0000' })).not.toBe(key({}))
    const long = 'z'.repeat(500)
    const digest = varyValue({ 'x-mode': long }, 'x-mode')
    expect(digest.startsWith('#')).toBe(true)
    expect(varyValue({ 'x-mode': digest }, 'x-mode')).not.toBe(digest)
  })

  it('keys a huge value by a short digest', () => {
    const value = varyValue({ cookie: 'x'.repeat(10_000) }, 'cookie')
    expect(value.length).toBeLessThan(40)
    expect(value).not.toBe(varyValue({ cookie: 'y'.repeat(10_000) }, 'cookie'))
  })
})

describe('variantKeyOf', () => {
  it('builds exactly the key variantKey builds, for one field or several', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(['accept-encoding'], ['accept-language'], ['accept-encoding', 'accept-language']),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        (fields, encoding, language) => {
          const headers = { 'accept-encoding': encoding, 'accept-language': language }
          const set = { id: 'set-1', fields }
          expect(variantKeyOf('GET /a', set, headers)).toBe(variantKey('GET /a', 'set-1', fields, headers))
        },
      ),
    )
  })

  it('never hands one primary key the key it built for another with the same set object', () => {
    const set = { id: 'shared', fields: ['accept-encoding'] }
    const headers = { 'accept-encoding': 'br' }
    expect(variantKeyOf('GET /a', set, headers)).toBe(variantKey('GET /a', 'shared', set.fields, headers))
    expect(variantKeyOf('GET /b', set, headers)).toBe(variantKey('GET /b', 'shared', set.fields, headers))
  })

  it('answers the same for a header value seen before (remembered) as the first time', () => {
    for (const value of ['gzip, deflate, br', 'identity;q=0', 'x-gzip', '*;q=0, gzip;q=0.5']) {
      const first = [encodingBucket(value), acceptsEncoding(value, 'gzip'), acceptsEncoding(value, 'br')]
      expect([encodingBucket(value), acceptsEncoding(value, 'gzip'), acceptsEncoding(value, 'br')]).toEqual(
        first,
      )
    }
  })
})

describe('vary rules on hostile input', () => {
  it('never throws on any Vary or Accept-Encoding value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.string({ maxLength: 40 }), (value, coding) => {
        parseVary(value)
        expect(['br', 'zstd', 'gzip', 'deflate', 'identity', 'none']).toContain(encodingBucket(value))
        expect(typeof acceptsEncoding(value, coding)).toBe('boolean')
      }),
    )
  })

  it('only puts a client in a coding bucket it accepts', () => {
    const member = fc.tuple(
      fc.constantFrom('br', 'zstd', 'gzip', 'deflate', 'identity', '*', 'x-gzip', 'compress'),
      fc.constantFrom('', ';q=0', ';q=0.5', ';q=1'),
    )
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 5 }), (members) => {
        const header = members.map(([coding, q]) => coding + q).join(', ')
        const bucket = encodingBucket(header)
        if (bucket !== 'none') {
          expect(acceptsEncoding(header, bucket === 'identity' ? undefined : bucket)).toBe(true)
        }
      }),
    )
  })
})

/**
 * The Vary cases of http-cache-semantics (test/varytest.js), kept as brisk's own: brisk matches
 * variants by secondary key (one store read per hit) rather than by that library's
 * `satisfiesWithoutRevalidation`, so the same answers must hold for the keys. "Matches" below:
 * the request would be given the response stored for the first request.
 */
describe('Vary cases kept from http-cache-semantics', () => {
  const matches = (
    vary: string,
    stored: Record<string, string>,
    incoming: Record<string, string>,
  ): boolean => {
    const fields = parseVary(vary)
    if (fields === undefined) return true
    if (!isVaryStorable(fields) || fields === '*') return false
    return variantKey('GET /', 'id', fields, stored) === variantKey('GET /', 'id', fields, incoming)
  }

  it('basic', () => {
    expect(matches('weather', { weather: 'nice' }, { weather: 'nice' })).toBe(true)
    expect(matches('weather', { weather: 'nice' }, { weather: 'bad' })).toBe(false)
  })

  it("* doesn't match (and is never stored)", () => {
    expect(matches('*', { weather: 'ok' }, { weather: 'ok' })).toBe(false)
  })

  it('values are case-sensitive, field names are not', () => {
    expect(matches('Weather', { weather: 'BAD' }, { weather: 'BAD' })).toBe(true)
    expect(matches('Weather', { weather: 'BAD' }, { weather: 'bad' })).toBe(false)
  })

  it('irrelevant headers are ignored', () => {
    expect(matches('moon-phase', { weather: 'nice' }, { weather: 'bad' })).toBe(true)
    expect(matches('moon-phase', { weather: 'nice' }, { sun: 'shining' })).toBe(true)
    expect(matches('moon-phase', { weather: 'nice' }, { 'moon-phase': 'full' })).toBe(false)
  })

  it('absence is meaningful', () => {
    const vary = 'moon-phase, weather'
    expect(matches(vary, { weather: 'nice' }, { weather: 'nice' })).toBe(true)
    expect(matches(vary, { weather: 'nice' }, { weather: 'nice', 'moon-phase': '' })).toBe(false)
    expect(matches(vary, { weather: 'nice' }, {})).toBe(false)
  })

  it('all values must match', () => {
    const stored = { sun: 'shining', weather: 'nice' }
    expect(matches('weather, sun', stored, { sun: 'shining', weather: 'nice' })).toBe(true)
    expect(matches('weather, sun', stored, { sun: 'shining', weather: 'bad' })).toBe(false)
  })

  it('order is irrelevant', () => {
    const stored = { sun: 'shining', weather: 'nice' }
    for (const vary of ['weather, sun', 'sun, weather']) {
      expect(matches(vary, stored, { weather: 'nice', sun: 'shining' })).toBe(true)
      expect(matches(vary, stored, { sun: 'shining', weather: 'nice' })).toBe(true)
    }
    expect(parseVary('weather, sun')).toEqual(parseVary('sun, weather'))
  })
})
