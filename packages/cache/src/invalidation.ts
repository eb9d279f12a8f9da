import type { BriskHeaders, BriskRequestHeaders } from '@brisk/core'
import { headerValue } from '@brisk/core'

/**
 * The request targets a successful unsafe request makes stale (RFC 9111 §4.4): its own target
 * URI, and the `Location` and `Content-Location` of the response when they are on the same
 * origin (a cache must not let one origin invalidate another's entries). Paths with query, as
 * origin-form request targets.
 */
export function invalidatedTargets(
  url: string,
  requestHeaders: BriskRequestHeaders,
  responseHeaders: BriskHeaders,
): string[] {
  const targets = [url]
  const host = headerValue(requestHeaders, 'host')
  for (const field of ['location', 'content-location']) {
    const value = headerValue(responseHeaders, field)
    if (value === undefined || value.length > 2048) continue
    const target = sameOriginTarget(value, url, host)
    if (target !== undefined && !targets.includes(target)) targets.push(target)
  }
  return targets
}

function sameOriginTarget(reference: string, base: string, host: string | undefined): string | undefined {
  // Resolve against a placeholder origin standing for this request's own; only references
  // that stay on it (relative ones, or absolute ones naming this host) invalidate.
  const origin = 'http://brisk.invalid'
  let resolved: URL
  try {
    resolved = new URL(reference, origin + base)
  } catch {
    return undefined
  }
  const isSelf = resolved.origin === origin || (host !== undefined && resolved.host === host.toLowerCase())
  return isSelf ? resolved.pathname + resolved.search : undefined
}
