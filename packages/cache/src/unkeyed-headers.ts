import type { BriskRequestHeaders } from '@brisk/core'
import type { VaryFields } from './vary.js'

/**
 * Request headers that apps commonly reflect into a page (absolute links, redirects, canonical
 * URLs) but that the cache key does not include. A response built from an attacker's
 * `X-Forwarded-Host: evil.example` and stored under the plain URL would be served to everyone
 * (web cache poisoning). Behind a proxy that sets these itself, overwriting what clients send,
 * the user can clear or shorten the list.
 */
export const DEFAULT_UNKEYED_HEADERS: readonly string[] = [
  'x-forwarded-host',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-host',
  'x-original-url',
  'x-rewrite-url',
  'forwarded',
]

/**
 * The first listed header the request carries that the response does not `Vary` on, or
 * undefined when storing is safe: a response may only be stored when every such header it could
 * have been built from is part of its secondary key.
 */
export function unkeyedRequestHeader(
  requestHeaders: BriskRequestHeaders,
  vary: VaryFields | undefined,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    if (requestHeaders[name] === undefined) continue
    if (vary === '*' || (vary !== undefined && vary.includes(name))) continue
    return name
  }
  return undefined
}
