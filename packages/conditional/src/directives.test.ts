import { BriskOptionError } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import { privateVariant, renderDirectives, type CacheDirectives } from './directives.js'

describe('renderDirectives', () => {
  it.each([
    [{ public: true, maxAge: '365d' }, 'public, max-age=31536000'],
    [{ maxAge: '10s', staleWhileRevalidate: '1m' }, 'max-age=10, stale-while-revalidate=60'],
    [{ private: true, noStore: true }, 'private, no-store'],
    [{ noCache: true }, 'no-cache'],
    [
      { public: true, maxAge: 60_000, sMaxAge: '5m', staleIfError: '1d' },
      'public, max-age=60, s-maxage=300, stale-if-error=86400',
    ],
    [{ immutable: true, maxAge: '365d', public: true }, 'public, max-age=31536000, immutable'],
    [{ mustRevalidate: true, maxAge: 0 }, 'max-age=0, must-revalidate'],
    [
      { noTransform: true, proxyRevalidate: true, mustUnderstand: true, noStore: true },
      'no-store, proxy-revalidate, no-transform, must-understand',
    ],
    [{ public: false, maxAge: '1h' }, 'max-age=3600'],
  ] as Array<[CacheDirectives, string]>)('renders %j as %s', (directives, expected) => {
    expect(renderDirectives(directives, 'cacheControl').value).toBe(expected)
  })

  it.each([
    ['public, max-age=600', { maxAge: 600, expiresAtOnce: false, shared: true }],
    ['no-cache', { expiresAtOnce: true, shared: true }],
    ['private, max-age=60', { maxAge: 60, expiresAtOnce: false, shared: false }],
    ['no-store', { expiresAtOnce: true, shared: false }],
    ['max-age=0', { maxAge: 0, expiresAtOnce: true, shared: true }],
  ])('reads %s', (value, expected) => {
    expect(renderDirectives(value, 'cacheControl')).toMatchObject({ value, ...expected })
  })

  it.each([
    [{ maxAge: 60 }, /cacheControl\.maxAge: 60\. Expected whole seconds/],
    [{ maxAge: '1.5s' }, /whole seconds/],
    [{ maxAge: 'soon' }, /cacheControl\.maxAge: "soon"/],
    [{ public: true, private: true }, /public or private, not both/],
    [{ public: 'yes' }, /cacheControl\.public: "yes"\. Expected true or false/],
    [{ maxage: '1m' }, /cacheControl\.maxage: "1m"\. Expected one of public, private/],
    [{}, /Expected at least one directive/],
    ['', /Expected a Cache-Control value/],
    [' , ', /Expected a Cache-Control value/],
    ['max-age=60\r\nSet-Cookie: a=b', /Expected a Cache-Control value/],
    [42, /Expected a Cache-Control string/],
  ])('refuses %j', (input, message) => {
    expect(() => renderDirectives(input as CacheDirectives, 'cacheControl')).toThrow(BriskOptionError)
    expect(() => renderDirectives(input as CacheDirectives, 'cacheControl')).toThrow(message)
  })
})

describe('privateVariant', () => {
  it.each([
    ['public, max-age=31536000, immutable', 'private, max-age=31536000, immutable'],
    ['no-cache', 'private, no-cache'],
    ['public, max-age=60, s-maxage=600, proxy-revalidate', 'private, max-age=60'],
    ['max-age=10, stale-while-revalidate=60', 'private, max-age=10, stale-while-revalidate=60'],
    ['no-cache="Set-Cookie, X-A"', 'private, no-cache="Set-Cookie, X-A"'],
  ])('%s → %s', (value, expected) => {
    expect(privateVariant(value)).toBe(expected)
  })
})
