/** Parsed `Cache-Control` directives: lower-case names; `true` for a directive without value. */
export type CacheControlDirectives = Map<string, string | true>

/**
 * Parses a `Cache-Control` field value (RFC 9111 §5.2). Written for hostile input: it walks
 * the value once, tolerates odd whitespace and empty members, unquotes quoted strings, keeps
 * the first occurrence of a repeated directive (§4.2.1 says a cache treats duplicates as
 * invalid; the first is the conservative reading for the directives brisk acts on), and never
 * throws.
 */
export function parseCacheControl(value: string | string[] | undefined): CacheControlDirectives {
  const directives: CacheControlDirectives = new Map()
  if (value === undefined) return directives
  const text = typeof value === 'string' ? value : value.join(',')
  if (text.length > 8192) return directives
  let index = 0
  const length = text.length
  while (index < length) {
    while (index < length && (text[index] === ' ' || text[index] === '\t' || text[index] === ',')) index++
    const nameStart = index
    while (index < length && text[index] !== '=' && text[index] !== ',') index++
    const name = text.slice(nameStart, index).trim().toLowerCase()
    let directiveValue: string | true = true
    if (index < length && text[index] === '=') {
      index++
      while (index < length && (text[index] === ' ' || text[index] === '\t')) index++
      if (text[index] === '"') {
        index++
        let unquoted = ''
        while (index < length && text[index] !== '"') {
          if (text[index] === '\\' && index + 1 < length) index++
          unquoted += text[index]
          index++
        }
        index++
        directiveValue = unquoted
        while (index < length && text[index] !== ',') index++
      } else {
        const valueStart = index
        while (index < length && text[index] !== ',') index++
        directiveValue = text.slice(valueStart, index).trim()
      }
    }
    if (name !== '' && !directives.has(name)) directives.set(name, directiveValue)
  }
  return directives
}

/**
 * Reads a delta-seconds directive (`max-age=60`). Returns undefined when absent or not a
 * non-negative integer; values beyond 2^31 are capped as RFC 9111 §1.2.2 asks.
 */
export function deltaSeconds(directives: CacheControlDirectives, name: string): number | undefined {
  const value = directives.get(name)
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Math.min(Number(value), 2_147_483_648)
}
