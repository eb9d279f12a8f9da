import { describe, expect, it } from 'vitest'
import { etagForCompressed } from './etag.js'

describe('etagForCompressed', () => {
  it.each([
    ['"abc"', 'W/"abc"'],
    ['W/"abc"', 'W/"abc"'],
    ['  "abc"  ', 'W/"abc"'],
    ['""', 'W/""'],
    ['abc', undefined],
    ['"abc', undefined],
    ['w/"abc"', undefined],
    [undefined, undefined],
  ])('turns %j into %j', (etag, expected) => {
    expect(etagForCompressed(etag)).toBe(expected)
  })
})
