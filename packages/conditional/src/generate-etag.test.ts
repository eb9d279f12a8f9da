import etag from 'etag'
import { describe, expect, it } from 'vitest'
import { generateEtag } from './generate-etag.js'

describe('generateEtag', () => {
  it.each([
    ['an empty body', Buffer.alloc(0)],
    ['a short ASCII body', Buffer.from('hello, world')],
    ['a UTF-8 body', Buffer.from('héllo wörld ✓')],
    ['binary bytes', Buffer.from([0, 255, 1, 254, 2, 253])],
    ['a 45 KB page', Buffer.from('<p>post</p>'.repeat(4200))],
  ])('gives %s the same strong tag as the etag package', (_name, body) => {
    expect(generateEtag(body)).toBe(etag(body))
  })

  it('gives different bodies of the same length different tags', () => {
    expect(generateEtag(Buffer.from('abcd'))).not.toBe(generateEtag(Buffer.from('abce')))
  })

  it('produces a strong tag', () => {
    expect(generateEtag(Buffer.from('x'))).toMatch(/^"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/)
  })
})
