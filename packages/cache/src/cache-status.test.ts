import { describe, expect, it } from 'vitest'
import { formatCacheStatus, type CacheStatusInfo } from './cache-status.js'

describe('formatCacheStatus', () => {
  const cases: Array<[CacheStatusInfo, string]> = [
    [{ hit: true, ttl: 29.7 }, 'brisk; hit; ttl=29'],
    [
      { hit: true, ttl: -3.2, detail: 'stale-while-revalidate' },
      'brisk; hit; ttl=-3; detail=stale-while-revalidate',
    ],
    [{ fwd: 'uri-miss', stored: true }, 'brisk; fwd=uri-miss; stored'],
    [{ fwd: 'vary-miss' }, 'brisk; fwd=vary-miss'],
    [{ fwd: 'stale', fwdStatus: 304, stored: true }, 'brisk; fwd=stale; fwd-status=304; stored'],
    [{ fwd: 'bypass', detail: 'authorization' }, 'brisk; fwd=bypass; detail=authorization'],
    [{ fwd: 'uri-miss', collapsed: true }, 'brisk; fwd=uri-miss; collapsed'],
    [{ detail: 'only-if-cached' }, 'brisk; detail=only-if-cached'],
  ]
  it.each(cases)('formats %o as %s', (info, expected) => {
    expect(formatCacheStatus('brisk', info)).toBe(expected)
  })
})
