import type { Decision } from './evaluate.js'
import type { Policy } from './policy.js'

/**
 * The smallest contract the limiter needs: one atomic call per request that checks every
 * policy for `key` and consumes `cost` from all of them only when all allow it.
 */
export interface RateLimitStore {
  /** Short name for logs, e.g. `memory` or `redis`. */
  readonly name: string
  /** Rejects only when the backend fails; the middleware then applies its failure policy. */
  consume(key: string, policies: readonly Policy[], cost: number): Promise<Decision>
  /** Forgets every counter of `key` under these policies (e.g. after a successful login). */
  reset(key: string, policies: readonly Policy[]): Promise<void>
  /** Closes what the store opened itself (never a client the user passed in). */
  close?(): Promise<void>
}
