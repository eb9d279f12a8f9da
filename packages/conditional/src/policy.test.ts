import { BriskOptionError } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import {
  CACHE_PRESETS,
  compileRule,
  hintPolicy,
  mediaTypeEssence,
  renderPolicy,
  selectRule,
  type CacheControlRule,
} from './policy.js'

const rules = (
  [
    { path: '/assets/**', cacheControl: 'immutable' },
    { path: [/^\/api\//], type: 'application/json', cacheControl: 'api' },
    { path: '/account/**', cacheControl: 'private' },
    { type: ['text/html'], cacheControl: 'html' },
    { type: 'image/*', cacheControl: { public: true, maxAge: '1d' } },
  ] as CacheControlRule[]
).map((rule, index) => compileRule(rule, `rules[${index}]`, false))

describe('selectRule', () => {
  it.each([
    ['/assets/app.3f9a1c.js', 'text/javascript', CACHE_PRESETS.immutable],
    ['/assets/logo.png', 'image/png', CACHE_PRESETS.immutable],
    ['/api/posts', 'application/json; charset=utf-8', CACHE_PRESETS.api],
    ['/api/posts', 'text/html', CACHE_PRESETS.html],
    ['/account/settings', 'text/html', CACHE_PRESETS.private],
    ['/posts/1', 'text/html; charset=utf-8', CACHE_PRESETS.html],
    ['/posts/1', 'TEXT/HTML', CACHE_PRESETS.html],
    ['/avatar/7', 'image/webp', 'public, max-age=86400'],
    ['/feed.xml', 'application/rss+xml', undefined],
    ['/posts/1', undefined, undefined],
  ])('%s as %s → %s', (path, type, expected) => {
    expect(selectRule(rules, path, type)?.cacheControl?.value).toBe(expected)
  })

  it('takes the first matching rule', () => {
    const ordered = [
      compileRule({ path: '/a/**', cacheControl: 'html' }, 'rules[0]', false),
      compileRule({ path: '/a/b', cacheControl: 'private' }, 'rules[1]', false),
    ]
    expect(selectRule(ordered, '/a/b', undefined)?.cacheControl?.value).toBe('no-cache')
  })

  it('matches any type with */*', () => {
    const anyType = [compileRule({ type: '*/*', cacheControl: 'html' }, 'rules[0]', false)]
    expect(selectRule(anyType, '/x', 'font/woff2')).toBeDefined()
    expect(selectRule(anyType, '/x', undefined)).toBeUndefined()
  })
})

describe('presets', () => {
  it.each(Object.entries(CACHE_PRESETS))('%s renders as %s', (name, value) => {
    expect(renderPolicy(name, 'cacheControl').value).toBe(value)
  })

  it('treats a string that is not a preset name as a field value', () => {
    expect(renderPolicy('public, max-age=5', 'cacheControl').value).toBe('public, max-age=5')
  })
})

describe('compileRule', () => {
  it.each([
    [{ path: '/x' }, /rules\[0\].*Expected a rule setting cacheControl/],
    [{ path: 'x', cacheControl: 'html' }, /rules\[0\]\.path: "x"/],
    [{ path: ['/ok', 'bad'], cacheControl: 'html' }, /rules\[0\]\.path\[1\]: "bad"/],
    [{ type: 'html', cacheControl: 'html' }, /rules\[0\]\.type: "html"\. Expected a media type/],
    [{ cacheControl: 'html', expires: 'yes' }, /rules\[0\]\.expires: "yes"/],
    [{ cacheControl: { maxAge: 30 } }, /rules\[0\]\.cacheControl\.maxAge: 30/],
    [{ cdnCacheControl: '' }, /rules\[0\]\.cdnCacheControl: ""/],
  ])('refuses %j', (rule, message) => {
    expect(() => compileRule(rule as CacheControlRule, 'rules[0]', false)).toThrow(BriskOptionError)
    expect(() => compileRule(rule as CacheControlRule, 'rules[0]', false)).toThrow(message)
  })
})

describe('hintPolicy', () => {
  it.each([
    [{ ttl: 300_000 }, 'public, max-age=300'],
    [{ ttl: 300_000, staleWhileRevalidate: 60_000 }, 'public, max-age=300, stale-while-revalidate=60'],
    [{ ttl: 60_000, staleIfError: 86_400_000 }, 'public, max-age=60, stale-if-error=86400'],
    [{ ttl: 1500 }, 'public, max-age=2'],
    [{ ttl: 0 }, 'public, max-age=0'],
    [{ ttl: 300_000, private: true }, 'private, no-store'],
  ])('%j → %s', (hint, expected) => {
    expect(hintPolicy(hint)).toBe(expected)
  })
})

describe('mediaTypeEssence', () => {
  it.each([
    ['text/html', 'text/html'],
    [' Text/HTML ; charset=utf-8', 'text/html'],
    [undefined, ''],
  ])('%j → %j', (value, expected) => {
    expect(mediaTypeEssence(value)).toBe(expected)
  })
})
