import type { PolicyOutcome } from './evaluate.js'
import type { Policy } from './policy.js'

/*
 * The RateLimit and RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers-11
 * (syntax unchanged since -10): each is a Structured Fields List (RFC 9651) of items whose
 * value is the policy name as an sf-string, with Integer parameters.
 *   RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400
 *   RateLimit: "burst";r=0;t=30, "daily";r=999;t=80000
 * Policy names are validated at creation (policy.ts), so no escaping happens per request.
 */

/** `RateLimit-Policy`, constant for a limiter: built once. */
export function rateLimitPolicyField(policies: readonly Policy[]): string {
  return policies.map((policy) => policy.policyItem).join(', ')
}

/**
 * `RateLimit` for one response. `t` is the effective window in whole seconds (delay-seconds,
 * rounded up). For a policy that refused the request, `t` is the wait before it could pass,
 * so that Retry-After never points earlier than the end of the effective window (draft §6).
 */
export function rateLimitField(policies: readonly Policy[], outcomes: readonly PolicyOutcome[]): string {
  let field = ''
  for (let i = 0; i < policies.length; i++) {
    const outcome = outcomes[i]!
    const ms = outcome.allowed ? outcome.resetMs : outcome.retryAfterMs
    field +=
      (i === 0 ? '' : ', ') +
      policies[i]!.limitItemPrefix +
      (outcome.remaining > 0 ? outcome.remaining : 0) +
      ';t=' +
      (ms > 0 ? Math.ceil(ms / 1000) : 0)
  }
  return field
}

/** Retry-After in whole seconds (RFC 9110 §10.2.3): the longest wait any refusing policy asks, at least 1. */
export function retryAfterSeconds(outcomes: readonly PolicyOutcome[]): number {
  let ms = 0
  for (const outcome of outcomes) {
    if (!outcome.allowed && outcome.retryAfterMs > ms) ms = outcome.retryAfterMs
  }
  return Math.max(1, Math.ceil(ms / 1000))
}

/**
 * The de-facto `X-RateLimit-*` trio (GitHub, express-rate-limit): the most constrained
 * policy's limit and remaining units, and its reset as epoch seconds.
 */
export function setLegacyHeaders(
  headers: Record<string, string | string[] | undefined>,
  policies: readonly Policy[],
  outcomes: readonly PolicyOutcome[],
  now: number,
): void {
  // On a refusal, the refusing policy that waits longest, so that X-RateLimit-Reset is never
  // before Retry-After (with weighted costs, a policy with units left can be the one refusing);
  // otherwise the policy with the least remaining, and among equals the one that waits longest.
  const wait = (outcome: PolicyOutcome): number => (outcome.allowed ? outcome.resetMs : outcome.retryAfterMs)
  const refused = outcomes.some((outcome) => !outcome.allowed)
  let tightest = -1
  for (let i = 0; i < outcomes.length; i++) {
    const candidate = outcomes[i]!
    if (refused && candidate.allowed) continue
    if (tightest < 0) {
      tightest = i
      continue
    }
    const current = outcomes[tightest]!
    const fewer = refused ? 0 : Math.max(0, candidate.remaining) - Math.max(0, current.remaining)
    if (fewer < 0 || (fewer === 0 && wait(candidate) > wait(current))) tightest = i
  }
  const outcome = outcomes[tightest]!
  const ms = wait(outcome)
  headers['x-ratelimit-limit'] = String(policies[tightest]!.limit)
  headers['x-ratelimit-remaining'] = String(outcome.remaining > 0 ? outcome.remaining : 0)
  headers['x-ratelimit-reset'] = String(Math.ceil((now + ms) / 1000))
}
