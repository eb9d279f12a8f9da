/** Why the cache forwarded a request (RFC 9211 §2.2). */
export type ForwardReason = 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale'

/** One `Cache-Status` member's parameters (RFC 9211 §2). */
export interface CacheStatusInfo {
  /** The response came from the cache without going to the app. */
  hit?: boolean
  /** Why the request went to the app. */
  fwd?: ForwardReason
  /** The status the app answered the forwarded request with, when it differs from the one sent. */
  fwdStatus?: number
  /** Remaining freshness in seconds; negative once stale. */
  ttl?: number
  /** The forwarded response was stored. */
  stored?: boolean
  /** The request waited for an identical one already forwarded and reused its response. */
  collapsed?: boolean
  /** Implementation detail: why it bypassed, which stale rule applied (a token). */
  detail?: string
}

/**
 * Serializes a `Cache-Status` member as an RFC 8941 list member: `brisk; hit; ttl=30`,
 * `brisk; fwd=uri-miss; stored`, `brisk; fwd=bypass; detail=authorization`.
 */
export function formatCacheStatus(cacheName: string, info: CacheStatusInfo): string {
  let out = cacheName
  if (info.hit === true) out += '; hit'
  if (info.fwd !== undefined) out += `; fwd=${info.fwd}`
  if (info.fwdStatus !== undefined) out += `; fwd-status=${info.fwdStatus}`
  if (info.ttl !== undefined) out += `; ttl=${Math.trunc(info.ttl)}`
  if (info.stored === true) out += '; stored'
  if (info.collapsed === true) out += '; collapsed'
  if (info.detail !== undefined) out += `; detail=${info.detail}`
  return out
}
