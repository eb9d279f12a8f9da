import { BriskOptionError } from '@brisk/core'
import ipaddr from 'ipaddr.js'

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/**
 * Addresses and CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`) that the limiter
 * lets through uncounted. IPv4-mapped IPv6 clients match IPv4 entries.
 */
export class AllowList {
  private readonly ranges: Range[] = []

  constructor(entries: readonly string[], option = 'allowList') {
    if (!Array.isArray(entries))
      throw new BriskOptionError(option, entries, 'an array of IP addresses or CIDR ranges')
    for (const [index, entry] of entries.entries()) {
      try {
        if (typeof entry !== 'string') throw new TypeError('not a string')
        if (entry.includes('/')) this.ranges.push(ipv4IfMapped(ipaddr.parseCIDR(entry)))
        else {
          const address = ipaddr.process(entry)
          this.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128])
        }
      } catch {
        throw new BriskOptionError(
          `${option}[${index}]`,
          entry,
          'an IP address or CIDR range such as "10.0.0.0/8" or "2001:db8::/32"',
        )
      }
    }
  }

  get empty(): boolean {
    return this.ranges.length === 0
  }

  has(address: string): boolean {
    if (this.ranges.length === 0 || !ipaddr.isValid(address)) return false
    const parsed = ipaddr.process(address)
    for (const range of this.ranges) {
      if (range[0].kind() === parsed.kind() && parsed.match(range)) return true
    }
    return false
  }
}

/**
 * An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) as the IPv4 range it names (`10.0.0.0/8`):
 * clients are compared as IPv4 once unmapped, so the range as written could never match.
 */
function ipv4IfMapped(range: Range): Range {
  const [address, bits] = range
  if (address.kind() === 'ipv6' && bits >= 96 && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96]
  }
  return range
}
