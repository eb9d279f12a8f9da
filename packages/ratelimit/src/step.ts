/**
 * The state of one policy for one key is three numbers, `a`, `b`, `c` (absent state is all
 * zeros). The memory store keeps them in an array, the Redis script in a hash with fields
 * `a`, `b`, `c`, and both run the same arithmetic on them:
 *
 * | algorithm      | a                           | b                        | c                         |
 * | -------------- | --------------------------- | ------------------------ | ------------------------- |
 * | fixed-window   | window start (ms)           | units used in the window | 0                         |
 * | sliding-window | current window start (ms)   | units used in it         | units used in the one before |
 * | token bucket   | theoretical arrival time (µs) | 0                      | 0                         |
 */
export interface PolicyState {
  a: number
  b: number
  c: number
}

/** What one policy decides for one request: the pure algorithms return this. */
export interface Step {
  /** Whether this policy lets the request through. */
  allowed: boolean
  /** Units still available after this request (before it, when refused). */
  remaining: number
  /** Milliseconds until more quota becomes available (the draft's `t`): window end, or next token. */
  resetMs: number
  /** When refused: milliseconds until a request of the same cost could pass. 0 when allowed. */
  retryAfterMs: number
  /** State to keep when every policy allows the request. */
  next: PolicyState
  /** How long that state matters, in ms: the store may forget it afterwards. */
  ttlMs: number
}

export const EMPTY_STATE: Readonly<PolicyState> = Object.freeze({ a: 0, b: 0, c: 0 })
