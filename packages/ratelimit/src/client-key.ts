import ipaddr from 'ipaddr.js'

/**
 * The default limiter key: the client address the adapter derived (after the framework's
 * own proxy-trust rules; the limiter never reads X-Forwarded-For itself).
 *
 * - IPv4 addresses are used as they are (the common case costs one `indexOf`).
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports) is the IPv4
 *   client it stands for, so it shares that client's counters.
 * - Other IPv6 addresses are grouped by their first `ipv6Prefix` bits: an ISP hands a
 *   customer a /48 to /64 (RFC 6177 recommends /56 for homes), and every address inside it
 *   is theirs to rotate through, so limiting each /128 alone would limit nobody.
 * - Anything unparsable is used as it is (cut to 64 characters); no address at all (a Unix
 *   socket) becomes `unknown`, one shared key.
 */
export function clientKey(address: string, ipv6Prefix: number): string {
  if (address.length === 0) return 'unknown'
  // IPv4, or a name a trusted proxy sent: a huge one must not make a huge key.
  if (address.indexOf(':') === -1) return address.length > 64 ? address.slice(0, 64) : address
  if (address.startsWith('::ffff:') && address.indexOf('.') !== -1) return address.slice(7)
  try {
    const parsed = ipaddr.parse(address)
    if (parsed.kind() === 'ipv4') return parsed.toString()
    const ipv6 = parsed as ipaddr.IPv6
    if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().toString()
    if (ipv6Prefix >= 128) return ipv6.toNormalizedString()
    const bytes = ipv6.toByteArray()
    for (let bit = ipv6Prefix; bit < 128; bit++) {
      bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7))
    }
    return `${ipaddr.fromByteArray(bytes).toString()}/${ipv6Prefix}`
  } catch {
    return address.length > 64 ? address.slice(0, 64) : address
  }
}
