import { describe, expect, test } from 'vitest'
import { SessionCodec } from '../src/session.js'

const codec = new SessionCodec('secret', false)
const NOW = Date.UTC(2025, 0, 1)

function cookieOf(setCookie: string): string {
  return setCookie.split(';', 1)[0]!
}

describe('SessionCodec', () => {
  test('a cookie it issued reads back as the same user', () => {
    const cookie = cookieOf(codec.issue(42, NOW))
    expect(codec.read(`theme=dark; ${cookie}`, NOW)).toEqual({ userId: 42, expires: NOW / 1000 + 8 * 3600 })
  })

  test('a cookie signed with another secret is refused', () => {
    const cookie = cookieOf(new SessionCodec('other', false).issue(42, NOW))
    expect(codec.read(cookie, NOW)).toBeUndefined()
  })

  test('changing the user id invalidates the signature', () => {
    const cookie = cookieOf(codec.issue(42, NOW)).replace('=42.', '=1.')
    expect(codec.read(cookie, NOW)).toBeUndefined()
  })

  test('an expired session is refused', () => {
    const cookie = cookieOf(codec.issue(42, NOW))
    expect(codec.read(cookie, NOW + 8 * 3600 * 1000)).toBeUndefined()
  })

  test.each([
    [undefined],
    [''],
    ['blog_session='],
    ['blog_session=1.2'],
    ['blog_session=1.2.short'],
    [`blog_session=${'9'.repeat(20)}.1.${'a'.repeat(43)}`],
    [`x=${'a'.repeat(10_000)}`],
    ['blog_session=%E0%A4%A'],
  ])('the malformed cookie header %j reads as no session', (header) => {
    expect(codec.read(header, NOW)).toBeUndefined()
  })

  test('Secure is added when asked for, and logout expires the cookie', () => {
    expect(new SessionCodec('s', true).issue(1, NOW)).toMatch(/; Secure/)
    expect(codec.clear()).toMatch(/^blog_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/)
  })
})
