import { describe, expect, it } from 'vitest'
import { DEFAULT_UNKEYED_HEADERS, unkeyedRequestHeader } from './unkeyed-headers.js'
import { parseVary } from './vary.js'

describe('unkeyedRequestHeader', () => {
  it.each<[Record<string, string>, string | undefined, string | undefined]>([
    [{}, undefined, undefined],
    [{ 'x-forwarded-for': '203.0.113.9' }, undefined, undefined],
    [{ 'x-forwarded-host': 'evil.example' }, undefined, 'x-forwarded-host'],
    [{ 'x-forwarded-host': 'evil.example' }, 'Accept-Encoding', 'x-forwarded-host'],
    [{ 'x-forwarded-host': 'evil.example' }, 'Accept-Encoding, X-Forwarded-Host', undefined],
    [{ forwarded: 'host=evil.example' }, undefined, 'forwarded'],
    [{ 'x-original-url': '/admin' }, 'x-original-url', undefined],
    [{ 'x-rewrite-url': '/admin', 'x-host': 'a' }, 'x-rewrite-url', 'x-host'],
  ])('request %j with Vary %j → %j', (headers, vary, expected) => {
    expect(unkeyedRequestHeader(headers, parseVary(vary), DEFAULT_UNKEYED_HEADERS)).toBe(expected)
  })

  it('allows everything when the list is empty', () => {
    expect(unkeyedRequestHeader({ 'x-forwarded-host': 'evil.example' }, undefined, [])).toBeUndefined()
  })
})
