import { describe, expect, it } from 'vitest'
import { mergeRevalidation } from './revalidation.js'
import type { ResponseMeta } from './stored-response.js'

function stored(headers: ResponseMeta['headers']): ResponseMeta {
  return {
    kind: 'response',
    status: 200,
    headers,
    storedAt: 0,
    lifetime: 1000,
    initialAge: 0,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    mustRevalidate: false,
    shared: false,
    tags: [],
  }
}

describe('mergeRevalidation', () => {
  it('takes the new Cache-Control of a 304 with the same ETag', () => {
    const merged = mergeRevalidation(
      stored({ etag: '"v1"', 'cache-control': 'max-age=1', 'content-type': 'text/html' }),
      { etag: '"v1"', 'cache-control': 'max-age=60' },
    )
    expect(merged).toMatchObject({ etag: '"v1"', 'cache-control': 'max-age=60', 'content-type': 'text/html' })
  })

  it('keeps the stored Content-Encoding and Content-Length whatever the 304 says', () => {
    const merged = mergeRevalidation(
      stored({ etag: '"v1"', 'content-encoding': 'gzip', 'content-length': '10' }),
      { etag: '"v1"', 'content-encoding': 'br', 'content-length': '0' },
    )
    expect(merged).toMatchObject({ 'content-encoding': 'gzip', 'content-length': '10' })
  })

  it('matches a weak ETag weakly', () => {
    expect(mergeRevalidation(stored({ etag: 'W/"v1"' }), { etag: 'W/"v1"' })).toBeDefined()
  })

  it('refuses a 304 for another ETag', () => {
    expect(mergeRevalidation(stored({ etag: '"v1"' }), { etag: '"v2"' })).toBeUndefined()
  })

  it('matches on Last-Modified when there is no ETag', () => {
    const lastModified = 'Wed, 01 Jan 2025 00:00:00 GMT'
    expect(
      mergeRevalidation(stored({ 'last-modified': lastModified }), { 'last-modified': lastModified }),
    ).toBeDefined()
    expect(
      mergeRevalidation(stored({ 'last-modified': lastModified }), {
        'last-modified': 'Thu, 02 Jan 2025 00:00:00 GMT',
      }),
    ).toBeUndefined()
  })
})
