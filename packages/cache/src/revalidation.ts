import type { BriskHeaders } from '@brisk/core'
import CachePolicy from 'http-cache-semantics'
import type { ResponseMeta } from './stored-response.js'

function flatten(headers: BriskHeaders): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) flat[name] = typeof value === 'string' ? value : value.join(', ')
  }
  return flat
}

/**
 * The stored response's headers updated by a 304 answering its revalidation (RFC 9111 §4.3.4),
 * through http-cache-semantics' `revalidatedPolicy` (validator matching, and the fields a 304
 * may not change: Content-Length, Content-Encoding...). Undefined when the 304 does not select
 * the stored response (its validator differs): the body cannot be reused then.
 */
export function mergeRevalidation(stored: ResponseMeta, notModified: BriskHeaders): BriskHeaders | undefined {
  const policy = new CachePolicy(
    { method: 'GET', headers: {} },
    { status: stored.status, headers: flatten(stored.headers) },
    { shared: true, cacheHeuristic: 0, immutableMinTimeToLive: 0 },
  )
  const result = policy.revalidatedPolicy(
    { method: 'GET', headers: {} },
    { status: 304, headers: flatten(notModified) },
  )
  if (!result.matches || result.modified) return undefined
  const merged: BriskHeaders = { ...result.policy.toObject().resh }
  // Headers the stored response sent as lists (set-cookie is never stored) keep their shape.
  for (const name in stored.headers) {
    const value = stored.headers[name]
    if (Array.isArray(value) && notModified[name] === undefined) merged[name] = value
  }
  return merged
}
