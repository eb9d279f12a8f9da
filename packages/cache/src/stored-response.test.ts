import { describe, expect, it } from 'vitest'
import { prepareResponse, type ResponseMeta } from './stored-response.js'

function meta(status: number): ResponseMeta {
  return {
    kind: 'response',
    status,
    headers: { 'content-type': 'text/plain' },
    storedAt: 0,
    tags: [],
    lifetime: 60_000,
    initialAge: 0,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    mustRevalidate: false,
    shared: false,
  }
}

describe('prepareResponse', () => {
  it.each([
    [200, Buffer.from('hello'), '5'],
    [404, Buffer.alloc(0), '0'],
    [204, Buffer.alloc(0), undefined],
  ])('gives a stored %i the Content-Length RFC 9110 §8.6 allows', (status, body, length) => {
    expect(prepareResponse(meta(status), body).headers['content-length']).toBe(length)
  })
})
