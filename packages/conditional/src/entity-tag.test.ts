import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { listMatches, parseEntityTag, strongCompare, weakCompare, type EntityTag } from './entity-tag.js'

describe('strong and weak comparison (RFC 9110 §8.8.3.2 table)', () => {
  it.each([
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
    ['"1"', '"2"', false, false],
  ])('%s vs %s: strong %s, weak %s', (a, b, strong, weak) => {
    expect(strongCompare(a, b)).toBe(strong)
    expect(strongCompare(b, a)).toBe(strong)
    expect(weakCompare(a, b)).toBe(weak)
    expect(weakCompare(b, a)).toBe(weak)
  })

  it('never matches a malformed tag', () => {
    expect(weakCompare('abc', 'abc')).toBe(false)
    expect(strongCompare('abc', 'abc')).toBe(false)
  })
})

describe('parseEntityTag', () => {
  it.each([
    ['"abc"', { weak: false, opaque: '"abc"' }],
    ['W/"abc"', { weak: true, opaque: '"abc"' }],
    ['""', { weak: false, opaque: '""' }],
    [' "a,b" ', { weak: false, opaque: '"a,b"' }],
    ['"caf\u00e9"', { weak: false, opaque: '"caf\u00e9"' }],
  ])('reads %s', (value, expected) => {
    expect(parseEntityTag(value)).toEqual(expected)
  })

  it.each([['abc'], ['"abc'], ['abc"'], ['w/"abc"'], ['W/abc'], ['"a b"'], ['"a"b"'], ['"'], [''], ['*']])(
    'refuses %s',
    (value) => {
      expect(parseEntityTag(value)).toBeUndefined()
    },
  )
})

describe('listMatches', () => {
  const strong: EntityTag = { weak: false, opaque: '"x"' }
  const weak: EntityTag = { weak: true, opaque: '"x"' }

  it.each([
    ['"x"', strong, 'strong', true],
    ['"x"', strong, 'weak', true],
    ['W/"x"', strong, 'weak', true],
    ['W/"x"', strong, 'strong', false],
    ['"x"', weak, 'weak', true],
    ['"x"', weak, 'strong', false],
    ['"a", "b", "x"', strong, 'strong', true],
    ['"a",\t"x"', strong, 'strong', true],
    [' "a" , "x" ', strong, 'strong', true],
    ['"a",,, "x"', strong, 'strong', true],
    ['"a", "b"', strong, 'weak', false],
    ['"xx"', strong, 'weak', false],
    ['"x', strong, 'weak', false],
    ['x', strong, 'weak', false],
    ['*, "x"', strong, 'weak', true],
    ['*, "a"', strong, 'weak', false],
    ['"x"junk', strong, 'weak', false],
    ['"x"junk, "x"', strong, 'weak', true],
    ['"a,x", "b"', strong, 'weak', false],
    ['garbage "x", "x"', strong, 'weak', true],
    ['', strong, 'weak', false],
  ] as const)('%j against %j by %s comparison: %s', (field, current, comparison, expected) => {
    expect(listMatches(field, current, comparison)).toBe(expected)
  })

  it('walks a hostile 100 KB list without matching or throwing', () => {
    const hostile = `${'"a", W/, ",'.repeat(10_000)}"`
    expect(listMatches(hostile, strong, 'weak')).toBe(false)
  })
})

describe('listMatches against a reference split of well-formed lists', () => {
  const opaque = fc.stringMatching(/^[!#-~]{0,8}$/).map((text) => `"${text}"`)
  const member = fc.record({ weak: fc.boolean(), opaque })
  const separator = fc.constantFrom(',', ', ', ' ,', ',\t', ' , ', ',,')

  it('agrees with comparing every member, for weak and strong comparison', () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), separator, member, (members, sep, current) => {
        const field = members.map((m) => (m.weak ? `W/${m.opaque}` : m.opaque)).join(sep)
        const weakExpected = members.some((m) => m.opaque === current.opaque)
        const strongExpected = !current.weak && members.some((m) => !m.weak && m.opaque === current.opaque)
        expect(listMatches(field, current, 'weak')).toBe(weakExpected)
        expect(listMatches(field, current, 'strong')).toBe(strongExpected)
      }),
    )
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), member, (field, current) => {
        expect(typeof listMatches(field, current, 'weak')).toBe('boolean')
      }),
    )
  })
})
