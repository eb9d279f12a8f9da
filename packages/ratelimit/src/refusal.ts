import { headerValue, type BriskRequest, type BriskResponse } from '@brisk/core'
import Negotiator from 'negotiator'

// Problem types of draft-ietf-httpapi-ratelimit-headers §5 (RFC 9457 problem details).
const QUOTA_EXCEEDED = 'https://iana.org/assignments/http-problem-types#quota-exceeded'
const REDUCED_CAPACITY = 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity'

const TEXT_FIRST = ['text/plain', 'application/problem+json', 'application/json']

// Accept values that can rank JSON above text: a JSON type, in any case (RFC 9110 §8.3.1), or
// `application/*`. Any other Accept answers text without running the negotiator.
const MAY_PREFER_JSON = /json|application\/\*/i

/** Whether the client asked for JSON more than for text (no Accept at all means text). */
export function prefersJson(req: BriskRequest): boolean {
  const accept = headerValue(req.headers, 'accept')
  if (accept === undefined || !MAY_PREFER_JSON.test(accept)) return false
  const preferred = new Negotiator({ headers: { accept } }).mediaType(TEXT_FIRST)
  return preferred !== undefined && preferred !== 'text/plain'
}

/** Why a request is refused: a quota it exceeded, or a counter store that cannot answer. */
export type RefusalReason = 'quota-exceeded' | 'temporary-reduced-capacity'

/**
 * The small answer to a refused request: `application/problem+json` (RFC 9457) for clients
 * that accept JSON, `text/plain` otherwise. Only refusals pay for content negotiation. The
 * problem type says why, whatever the status (`failureStatus: 429` while Redis is down is still
 * reduced capacity); `violated-policies` names only policies whose quota was exceeded, so a
 * refusal no policy made carries none.
 */
export function refusal(
  req: BriskRequest,
  status: 429 | 503,
  reason: RefusalReason,
  message: string,
  violated: readonly string[],
  headers: Record<string, string | string[] | undefined>,
): BriskResponse {
  let body: Buffer
  if (prefersJson(req)) {
    headers['content-type'] = 'application/problem+json'
    const problem: Record<string, unknown> = {
      type: reason === 'quota-exceeded' ? QUOTA_EXCEEDED : REDUCED_CAPACITY,
      title: message,
      status,
    }
    if (violated.length > 0) problem['violated-policies'] = violated
    body = Buffer.from(JSON.stringify(problem))
  } else {
    headers['content-type'] = 'text/plain; charset=utf-8'
    body = Buffer.from(message)
  }
  headers['content-length'] = String(body.length)
  // A refusal is about this client at this moment: no shared cache may reuse it.
  headers['cache-control'] = 'no-store'
  return { status, headers, body }
}
