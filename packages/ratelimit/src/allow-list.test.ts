import { describe, expect, it } from 'vitest'
import { AllowList } from './allow-list.js'

describe('AllowList', () => {
  const list = new AllowList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'])

  it.each([
    ['an address inside an IPv4 range', '10.1.2.3', true],
    ['an IPv4-mapped address inside an IPv4 range', '::ffff:10.1.2.3', true],
    ['a single listed address', '192.0.2.1', true],
    ['an address inside an IPv6 range', '2001:db8:1::5', true],
    ['an address outside every range', '192.0.2.2', false],
    ['an IPv6 address outside every range', '2001:db9::1', false],
    ['something that is not an address', 'garbage', false],
    ['an empty address', '', false],
  ])('matches %s: %s', (_label, address, expected) => {
    expect(list.has(address)).toBe(expected)
  })

  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.9', true],
    ['128.0.0.1', false],
  ])('reads an IPv4-mapped range as the IPv4 range it names: %s is allowed: %s', (address, expected) => {
    expect(new AllowList(['::ffff:127.0.0.0/104']).has(address)).toBe(expected)
  })

  it('rejects an entry that is not an address or range at creation', () => {
    expect(() => new AllowList(['10.0.0.0/8', 'localhost'])).toThrow(/allowList\[1\]/)
  })
})
