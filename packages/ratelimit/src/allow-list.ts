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
        if (entry.includes('/')) this.ranges.push(ipaddr.parseCIDR(entry))
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
