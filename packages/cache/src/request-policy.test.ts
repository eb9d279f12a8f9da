import { describe, expect, it } from 'vitest'
import { collectTags, hasSessionCookie, requestDirectives } from './request-policy.js'

describe('requestDirectives', () => {
  it('shares one object for requests without directives', () => {
    expect(requestDirectives({})).toBe(requestDirectives({ accept: '*/*' }))
  })

  const cases: Array<[headers: Record<string, string>, field: string, value: unknown]> = [
    [{ 'cache-control': 'no-store' }, 'noStore', true],
    [{ 'cache-control': 'no-cache' }, 'noCache', true],
    [{ pragma: 'no-cache' }, 'noCache', true],
    [{ pragma: 'no-cache', 'cache-control': 'max-age=5' }, 'noCache', false],
    [{ 'cache-control': 'max-age=0' }, 'maxAge', 0],
    [{ 'cache-control': 'max-age=abc' }, 'maxAge', undefined],
    [{ 'cache-control': 'max-stale' }, 'maxStale', Number.POSITIVE_INFINITY],
    [{ 'cache-control': 'max-stale=10' }, 'maxStale', 10],
    [{ 'cache-control': 'min-fresh=30' }, 'minFresh', 30],
    [{ 'cache-control': 'ONLY-IF-CACHED' }, 'onlyIfCached', true],
  ]
  it.each(cases)('reads %o as %s = %s', (headers, field, value) => {
    expect(requestDirectives(headers)[field as keyof ReturnType<typeof requestDirectives>]).toBe(value)
  })
})

describe('hasSessionCookie', () => {
  const cases: Array<[cookie: string | undefined, names: string[], expected: boolean]> = [
    ['sid=abc', ['sid'], true],
    ['theme=dark; sid=abc', ['sid'], true],
    ['theme=dark;sid=abc', ['sid'], true],
    ['xsid=abc', ['sid'], false],
    ['theme=sid', ['sid'], false],
    ['sid', ['sid'], true],
    [undefined, ['sid'], false],
    ['sid=abc', [], false],
  ]
  it.each(cases)('finds a session in %s for %o: %s', (cookie, names, expected) => {
    expect(hasSessionCookie(cookie, names)).toBe(expected)
  })
})

describe('collectTags', () => {
  it('merges route tags, comma lists and space lists without duplicates', () => {
    expect(collectTags(new Set(['post:1']), 'post:1, list', 'user:2 list')).toEqual([
      'post:1',
      'list',
      'user:2',
    ])
  })

  it('keeps at most 64 tags', () => {
    const many = Array.from({ length: 100 }, (_, i) => `t${i}`).join(',')
    expect(collectTags(undefined, many)).toHaveLength(64)
  })

  it('drops tags longer than 256 characters', () => {
    expect(collectTags(undefined, `${'x'.repeat(300)}, ok`)).toEqual(['ok'])
  })
})
