import { describe, expect, it } from 'vitest'
import { clientKey } from './client-key.js'

describe('clientKey', () => {
  it.each([
    ['an IPv4 address as it is', '203.0.113.7', 56, '203.0.113.7'],
    ['an IPv4-mapped IPv6 address as its IPv4 client', '::ffff:203.0.113.7', 56, '203.0.113.7'],
    ['an IPv4-mapped address in hex as its IPv4 client', '::ffff:cb00:7107', 56, '203.0.113.7'],
    ['an IPv6 address by its /56', '2001:db8:1234:5678:9abc:def0:1234:5678', 56, '2001:db8:1234:5600::/56'],
    [
      'another address in the same /56 to the same key',
      '2001:db8:1234:56ff:1::1',
      56,
      '2001:db8:1234:5600::/56',
    ],
    [
      'an IPv6 address by a configured /64',
      '2001:db8:1234:5678:9abc:def0:1234:5678',
      64,
      '2001:db8:1234:5678::/64',
    ],
    [
      'an IPv6 address by a prefix that is not on a byte boundary',
      '2001:db8:ffff::1',
      36,
      '2001:db8:f000::/36',
    ],
    ['an IPv6 address whole with /128', '2001:db8::1', 128, '2001:db8:0:0:0:0:0:1'],
    ['no address (a Unix socket) as one shared key', '', 56, 'unknown'],
    ['an unparsable value as it is', 'not:an:address', 56, 'not:an:address'],
    ['a huge unparsable value cut to 64 characters', `x:${'y'.repeat(5000)}`, 56, `x:${'y'.repeat(62)}`],
    ['a huge value without a colon cut to 64 characters too', 'z'.repeat(5000), 56, 'z'.repeat(64)],
  ])('keys %s', (_label, address, prefix, expected) => {
    expect(clientKey(address, prefix)).toBe(expected)
  })

  it('gives addresses in different /56 allocations different keys', () => {
    expect(clientKey('2001:db8:1234:5600::1', 56)).not.toBe(clientKey('2001:db8:1234:5700::1', 56))
  })
})
