/** Which query parameters take part in the cache key. */
export type QueryKeyRule = { allow: readonly string[] } | { deny: readonly string[] }

// A key longer than this is not worth keeping: such URLs are junk or attacks, and a store key
// that long costs memory on every entry. Requests with longer targets bypass the cache.
export const MAX_KEY_URL_LENGTH = 2048

/**
 * The request target normalized for a cache key (RFC 9111 §4: the key is the target URI):
 * the path as received and the query parameters sorted by name (stable for equal names),
 * with `allow`/`deny` applied so that tracking junk such as `?utm_source=` does not split
 * entries. Returns undefined for a target that is not origin-form or is too long to key.
 */
export function normalizeUrl(url: string, rule?: QueryKeyRule): string | undefined {
  if (url.length > MAX_KEY_URL_LENGTH || url.charCodeAt(0) !== 47 /* "/" */) return undefined
  const hashAt = url.indexOf('#')
  const target = hashAt === -1 ? url : url.slice(0, hashAt)
  const queryAt = target.indexOf('?')
  if (queryAt === -1) return target
  const path = target.slice(0, queryAt)
  const query = target.slice(queryAt + 1)
  if (query === '') return path
  const pairs: Array<[name: string, raw: string]> = []
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawName = eq === -1 ? part : part.slice(0, eq)
    const name = decodeName(rawName)
    if (rule !== undefined) {
      if ('allow' in rule ? !rule.allow.includes(name) : rule.deny.includes(name)) continue
    }
    pairs.push([name, part])
  }
  if (pairs.length === 0) return path
  // Array.prototype.sort is stable, so repeated names keep their order (`?a=2&a=1` ≠ `?a=1&a=2`).
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  let out = path + '?'
  for (let i = 0; i < pairs.length; i++) out += (i === 0 ? '' : '&') + (pairs[i] as [string, string])[1]
  return out
}

function decodeName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return raw
  }
}

/** The default key: method and normalized URL, e.g. `GET /posts?page=2`. */
export function defaultCacheKey(method: string, url: string, rule?: QueryKeyRule): string | undefined {
  const normalized = normalizeUrl(url, rule)
  return normalized === undefined ? undefined : `${method} ${normalized}`
}
