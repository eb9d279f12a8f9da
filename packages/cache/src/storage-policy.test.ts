import type { BriskHeaders, CacheForHint } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import { decideStorage, type StoragePolicySettings } from './storage-policy.js'

const plain: StoragePolicySettings = {
  ttl: undefined,
  staleWhileRevalidate: 0,
  staleIfError: 0,
  shareAuthenticated: false,
}
const withTtl: StoragePolicySettings = { ...plain, ttl: 30_000 }
const date = new Date('2026-01-01T00:00:00Z')

describe('decideStorage', () => {
  const notStored: Array<
    [what: string, status: number, headers: BriskHeaders, settings: StoragePolicySettings, reason: string]
  > = [
    [
      'Set-Cookie, even public',
      200,
      { 'cache-control': 'public, max-age=60', 'set-cookie': ['a=1'] },
      plain,
      'set-cookie',
    ],
    ['Vary: *', 200, { 'cache-control': 'max-age=60', vary: '*' }, plain, 'vary'],
    ['no-store', 200, { 'cache-control': 'max-age=60, no-store' }, withTtl, 'no-store'],
    ['private', 200, { 'cache-control': 'private, max-age=60' }, withTtl, 'private'],
    ['private with field names', 200, { 'cache-control': 'private="x-user", max-age=60' }, plain, 'private'],
    ['no-cache', 200, { 'cache-control': 'no-cache' }, withTtl, 'no-cache'],
    ['Pragma: no-cache without Cache-Control', 200, { pragma: 'no-cache' }, withTtl, 'no-cache'],
    [
      'no explicit freshness and no ttl',
      200,
      { etag: '"a"', 'last-modified': date.toUTCString() },
      plain,
      'no-freshness',
    ],
    ['max-age=0', 200, { 'cache-control': 'max-age=0' }, withTtl, 'no-freshness'],
    [
      'an Expires in the past',
      200,
      { expires: 'Thu, 01 Jan 1970 00:00:00 GMT', date: date.toUTCString() },
      withTtl,
      'no-freshness',
    ],
    ['an invalid Expires', 200, { expires: '0' }, withTtl, 'no-freshness'],
    ['a 500', 500, { 'cache-control': 'max-age=60' }, plain, 'status'],
    ['a 206', 206, { 'cache-control': 'max-age=60' }, plain, 'status'],
    ['a 304', 304, { 'cache-control': 'max-age=60' }, plain, 'status'],
    ['a 302 under ttl only', 302, { location: '/x' }, withTtl, 'status'],
    ['an Age beyond the lifetime', 200, { 'cache-control': 'max-age=60', age: '61' }, plain, 'no-freshness'],
    [
      'server-sent events, even public',
      200,
      { 'content-type': 'text/event-stream', 'cache-control': 'public, max-age=60' },
      withTtl,
      'event-stream',
    ],
    [
      'server-sent events with parameters, any case',
      200,
      { 'content-type': ' Text/Event-Stream; charset=utf-8' },
      withTtl,
      'event-stream',
    ],
  ]
  it.each(notStored)('does not store %s', (_what, status, headers, settings, reason) => {
    expect(decideStorage(status, headers, undefined, false, settings)).toEqual({ store: false, reason })
  })

  const lifetimes: Array<
    [what: string, status: number, headers: BriskHeaders, settings: StoragePolicySettings, lifetime: number]
  > = [
    ['max-age', 200, { 'cache-control': 'max-age=60' }, plain, 60_000],
    ['s-maxage over max-age', 200, { 'cache-control': 'max-age=60, s-maxage=10' }, plain, 10_000],
    ['max-age over ttl', 200, { 'cache-control': 'max-age=60' }, withTtl, 60_000],
    ['upper-case directives', 200, { 'cache-control': 'Max-Age=60' }, plain, 60_000],
    [
      'Expires relative to Date',
      200,
      { date: date.toUTCString(), expires: new Date(date.getTime() + 120_000).toUTCString() },
      plain,
      120_000,
    ],
    ['ttl without explicit freshness', 200, {}, withTtl, 30_000],
    ['ttl for a 404', 404, {}, withTtl, 30_000],
    ['max-age on a 301', 301, { 'cache-control': 'max-age=5', location: '/y' }, plain, 5_000],
    ['public without max-age under ttl', 200, { 'cache-control': 'public' }, withTtl, 30_000],
  ]
  it.each(lifetimes)('stores %s with the right lifetime', (_what, status, headers, settings, lifetime) => {
    const decision = decideStorage(status, headers, undefined, false, settings)
    expect(decision).toMatchObject({ store: true, lifetime })
  })

  it('reads an Expires without Date against the time the cache received it, not the wall clock', () => {
    // RFC 9110 §6.6.1: an undated response is dated on receipt, by the cache's clock.
    const received = Date.parse('2031-03-01T10:00:00Z')
    const headers = { expires: new Date(received + 90_000).toUTCString() }
    expect(decideStorage(200, headers, undefined, false, plain, received)).toMatchObject({
      store: true,
      lifetime: 90_000,
    })
    expect(decideStorage(200, headers, undefined, false, plain, received + 91_000)).toEqual({
      store: false,
      reason: 'no-freshness',
    })
  })

  it('treats the route hint as explicit freshness, above max-age and ttl', () => {
    const hint: CacheForHint = { ttl: 300_000, staleWhileRevalidate: 60_000 }
    const decision = decideStorage(200, { 'cache-control': 'max-age=5' }, hint, false, withTtl)
    expect(decision).toMatchObject({ store: true, lifetime: 300_000, staleWhileRevalidate: 60_000 })
  })

  it('never stores a response the route declared private', () => {
    expect(decideStorage(200, {}, { ttl: 60_000, private: true }, false, withTtl)).toEqual({
      store: false,
      reason: 'private',
    })
  })

  it('still honours no-store under a route hint', () => {
    const decision = decideStorage(200, { 'cache-control': 'no-store' }, { ttl: 60_000 }, false, plain)
    expect(decision).toEqual({ store: false, reason: 'no-store' })
  })

  it('reads stale windows from the response before the options', () => {
    const settings = { ...plain, staleWhileRevalidate: 1_000, staleIfError: 2_000 }
    expect(
      decideStorage(
        200,
        { 'cache-control': 'max-age=1, stale-while-revalidate=30' },
        undefined,
        false,
        settings,
      ),
    ).toMatchObject({ staleWhileRevalidate: 30_000, staleIfError: 2_000 })
  })

  it('stores max-age=0 with a stale-while-revalidate window', () => {
    expect(
      decideStorage(
        200,
        { 'cache-control': 'max-age=0, stale-while-revalidate=30' },
        undefined,
        false,
        plain,
      ),
    ).toMatchObject({
      store: true,
      lifetime: 0,
      staleWhileRevalidate: 30_000,
    })
  })

  it('gives must-revalidate and proxy-revalidate responses no stale windows', () => {
    const settings = { ...plain, staleWhileRevalidate: 1_000, staleIfError: 2_000 }
    for (const directive of ['must-revalidate', 'proxy-revalidate']) {
      expect(
        decideStorage(200, { 'cache-control': `max-age=60, ${directive}` }, undefined, false, settings),
      ).toMatchObject({
        store: true,
        lifetime: 60_000,
        mustRevalidate: true,
        staleWhileRevalidate: 0,
        staleIfError: 0,
      })
    }
  })

  it('counts the Age the response already had', () => {
    expect(
      decideStorage(200, { 'cache-control': 'max-age=60', age: '20' }, undefined, false, plain),
    ).toMatchObject({
      lifetime: 60_000,
      initialAge: 20_000,
    })
  })

  describe('for authenticated requests', () => {
    const sharing = { ...plain, shareAuthenticated: true }
    it('does not store without shareAuthenticated, even when public', () => {
      expect(decideStorage(200, { 'cache-control': 'public, max-age=60' }, undefined, true, plain)).toEqual({
        store: false,
        reason: 'authorization',
      })
    })
    it('does not store a response that is not public or s-maxage', () => {
      expect(decideStorage(200, { 'cache-control': 'max-age=60' }, undefined, true, sharing)).toEqual({
        store: false,
        reason: 'authorization',
      })
    })
    it('stores public and s-maxage responses as shared when allowed', () => {
      expect(
        decideStorage(200, { 'cache-control': 'public, max-age=60' }, undefined, true, sharing),
      ).toMatchObject({
        store: true,
        shared: true,
      })
      expect(decideStorage(200, { 'cache-control': 's-maxage=60' }, undefined, true, sharing)).toMatchObject({
        store: true,
        shared: true,
      })
    })
  })
})
