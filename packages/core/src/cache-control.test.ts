import { describe, expect, it } from 'vitest'
import { deltaSeconds, parseCacheControl } from './cache-control.js'

describe('parseCacheControl', () => {
  it.each<[string | string[] | undefined, Record<string, string | true>]>([
    [undefined, {}],
    ['', {}],
    ['no-store', { 'no-store': true }],
    ['public, max-age=60', { public: true, 'max-age': '60' }],
    ['Max-Age=60 , S-MAXAGE=120', { 'max-age': '60', 's-maxage': '120' }],
    ['private="set-cookie, x-user", max-age=5', { private: 'set-cookie, x-user', 'max-age': '5' }],
    ['max-age="30"', { 'max-age': '30' }],
    [',,, ,no-cache,,', { 'no-cache': true }],
    ['max-age=10, max-age=20', { 'max-age': '10' }],
    [['public', 'max-age=1'], { public: true, 'max-age': '1' }],
    ['a="unterminated', { a: 'unterminated' }],
    [
      'stale-while-revalidate=30\t, stale-if-error = 60',
      { 'stale-while-revalidate': '30', 'stale-if-error': '60' },
    ],
  ])('parses %j', (input, expected) => {
    expect(Object.fromEntries(parseCacheControl(input))).toEqual(expected)
  })

  it('ignores absurdly long values instead of walking them', () => {
    expect(parseCacheControl('a,'.repeat(10_000)).size).toBe(0)
  })
})

describe('deltaSeconds', () => {
  it.each<[string, number | undefined]>([
    ['max-age=60', 60],
    ['max-age=0', 0],
    ['max-age=-1', undefined],
    ['max-age=1.5', undefined],
    ['max-age', undefined],
    ['max-age=abc', undefined],
    ['max-age=99999999999999', 2_147_483_648],
  ])('%s → %j', (input, expected) => {
    expect(deltaSeconds(parseCacheControl(input), 'max-age')).toBe(expected)
  })
})
