import { createHash } from 'node:crypto'
import {
  BackendGuard,
  type BackendOptions,
  batchWrites,
  BriskOptionError,
  parseDuration,
  quietClientErrors,
  refuseUnknownOptions,
} from '@brisk/core'
import type { Cluster, Redis } from 'ioredis'
import type { Decision, PolicyOutcome } from './evaluate.js'
import type { Policy } from './policy.js'
import { policyArguments, RATE_LIMIT_SCRIPT, RATE_LIMIT_SCRIPT_SHA } from './redis-script.js'
import type { RateLimitStore } from './store.js'

/** Besides these, the fault-handling options of every remote store: `timeout` (default 1 s here, see {@link DEFAULT_TIMEOUT_MS}), `failureThreshold` (5), `resetTimeout` (1 s), `quietPeriod` (5 s), `logger`, `metrics`. */
export interface RedisStoreOptions extends BackendOptions {
  /** An ioredis client or cluster; the store never closes it. */
  client: Redis | Cluster
  /** Prefix of every key. Default `brisk:rl:`. */
  prefix?: string
  /**
   * Clock passed to the script, in epoch ms. Default: none, the script reads Redis `TIME`,
   * so every process sharing the server agrees. Set only to replay fixed times in tests.
   */
  now?: () => number
}

const REDIS_STORE_OPTION_NAMES: ReadonlySet<string> = new Set<keyof RedisStoreOptions>([
  'client',
  'prefix',
  'now',
  'timeout',
  'failureThreshold',
  'resetTimeout',
  'quietPeriod',
  'logger',
  'metrics',
])

// Keys longer than this are hashed, so a huge API key cannot make huge Redis keys.
const MAX_RAW_KEY = 128

/** ioredis connection states after a connection was lost (or closed), as `Redis` and `Cluster` report them. */
const LOST = new Set(['reconnecting', 'close', 'end', 'disconnecting'])

/**
 * The limiter waits longer for Redis than the cache does (50 ms). A verdict that arrives late
 * was still counted by Redis, while the timed-out request is decided by the per-process
 * insurance: on a healthy but busy server a short timeout turns into requests beyond the limit.
 * Measured on a shared 2-core machine (test/ratelimit/audit-processes.test.ts), 1200 to 2000
 * concurrent requests of one client over 4 processes on a Redis Cluster waited more than
 * 250 ms for some replies: timeouts of 50 ms and 250 ms let 2-4x the limit through, 500 ms and
 * 1 s stayed exact. A dead server still costs at most this per request until the circuit opens.
 */
export const DEFAULT_TIMEOUT_MS = 1000

/**
 * Counters shared by every process through Redis: one EVALSHA round-trip per request
 * (EVAL once after a Redis restart or SCRIPT FLUSH answers NOSCRIPT), atomic across
 * policies, and routed through core's `BackendGuard` (timeout, circuit breaker, one log line
 * per incident).
 */
export class RedisStore implements RateLimitStore {
  readonly name = 'redis'
  readonly guard: BackendGuard
  private readonly client: Redis | Cluster
  private readonly prefix: string
  private readonly now: (() => number) | undefined
  private readonly timeoutMs: number
  /**
   * How far the Redis clock is ahead of this process's monotonic clock: the largest `server
   * time - local time at reply` seen, or -Infinity before the first reply. Each sample can only
   * underestimate (the reply took time to arrive and be read), so the largest is the closest.
   * The local side is monotonic so that a step of this host's wall clock (NTP, a resumed VM)
   * cannot move deadlines; a step of the Redis host's clock is learnt from the next reply.
   */
  private serverAhead = Number.NEGATIVE_INFINITY
  /** Per policy list: the constant ARGV tail and the key suffixes, computed once. */
  private readonly compiled = new WeakMap<readonly Policy[], { args: string[]; suffixes: string[] }>()

  constructor(options: RedisStoreOptions) {
    if (
      options === null ||
      typeof options !== 'object' ||
      options.client === undefined ||
      options.client === null
    ) {
      throw new BriskOptionError('client', options?.client, 'an ioredis Redis or Cluster instance')
    }
    refuseUnknownOptions(options, REDIS_STORE_OPTION_NAMES)
    const client = options.client
    if (typeof (client as Redis).evalsha !== 'function') {
      throw new BriskOptionError('client', client, 'an ioredis Redis or Cluster instance')
    }
    const prefix = options.prefix ?? 'brisk:rl:'
    if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 100) {
      throw new BriskOptionError('prefix', prefix, 'a string of up to 100 characters without { or }')
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new BriskOptionError('now', options.now, 'a function returning epoch milliseconds')
    }
    quietClientErrors(client)
    this.client = client
    this.prefix = prefix
    this.now = options.now
    this.timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT_MS, 'timeout')
    this.guard = new BackendGuard({ ...options, timeout: this.timeoutMs, name: 'redis rate limit store' })
  }

  consume(key: string, policies: readonly Policy[], cost: number): Promise<Decision> {
    const { args, suffixes } = this.compile(policies)
    const base = this.baseKey(key)
    const keys = new Array<string>(suffixes.length)
    for (let i = 0; i < suffixes.length; i++) keys[i] = base + suffixes[i]!
    const now = this.now === undefined ? '0' : String(this.now())
    // The last argument is the deadline, set by each attempt.
    const argv = [now, String(cost), ...args, '0']
    return this.guard.run(() => this.check(keys, argv, policies.length))
  }

  /**
   * One script call, with a deadline placed on the Redis clock as this process knows it. A
   * reply that says "too late" while the store is still waiting proves that knowledge short
   * (before the first reply it is a guess; or Redis's clock stepped forward): the reply
   * carries the server's time, and the script, which counted nothing, is sent once more.
   */
  private check(keys: string[], argv: string[], count: number): Promise<Decision> {
    const started = monotonicNow()
    const attempt = (): Promise<unknown> => {
      argv[argv.length - 1] = this.deadline(started)
      return this.run(keys, argv)
    }
    return attempt().then((reply) => {
      if (!isLate(reply)) return this.decided(reply, count)
      this.learn(reply[1])
      if (monotonicNow() - started >= this.timeoutMs) throw lateError()
      return attempt().then((again) => {
        if (isLate(again)) throw lateError()
        return this.decided(again, count)
      })
    })
  }

  /**
   * Past this moment (on Redis's clock) nobody awaits the verdict: the script must not count
   * it. Before any reply the clocks are taken to agree; a Redis clock behind this one only
   * makes that first deadline later.
   */
  private deadline(started: number): string {
    if (this.now !== undefined) return '0'
    const ahead = this.serverAhead === Number.NEGATIVE_INFINITY ? 0 : this.serverAhead
    return String(Math.ceil(started + ahead + this.timeoutMs))
  }

  private decided(reply: unknown, count: number): Decision {
    const decision = decode(reply, count)
    this.learn(decision.serverNow)
    return decision
  }

  private learn(serverNow: unknown): void {
    const ahead = Number(serverNow) - monotonicNow()
    if (ahead > this.serverAhead) this.serverAhead = ahead
  }

  async reset(key: string, policies: readonly Policy[]): Promise<void> {
    const { suffixes } = this.compile(policies)
    const base = this.baseKey(key)
    // One DEL per key: the keys share a hash slot, but a multi-key DEL is still one call.
    await this.guard.run(() => this.client.del(...suffixes.map((suffix) => base + suffix)))
  }

  /** `prefix{clientKey}:`: the braces make every policy of one client hash to one slot. */
  private baseKey(key: string): string {
    // A `}` inside the client key would end the hash tag early (`{}` even disables it), so
    // such keys, empty ones and very long ones are replaced by their digest.
    const client =
      key.length > MAX_RAW_KEY || key.length === 0 || key.includes('}')
        ? `#${createHash('sha256').update(key).digest('base64url')}`
        : key
    return `${this.prefix}{${client}}:`
  }

  private compile(policies: readonly Policy[]): { args: string[]; suffixes: string[] } {
    let compiled = this.compiled.get(policies)
    if (compiled === undefined) {
      const args: string[] = []
      const suffixes: string[] = []
      for (const policy of policies) {
        args.push(...policyArguments(policy))
        // The algorithm and its parameters are in the key: changing a policy starts fresh
        // counters instead of misreading another algorithm's state.
        suffixes.push(`${policy.name}:${policy.algorithm}:${policy.limit}:${policy.windowMs}:${policy.burst}`)
      }
      compiled = { args, suffixes }
      this.compiled.set(policies, compiled)
    }
    return compiled
  }

  private async run(keys: string[], args: string[]): Promise<unknown> {
    if (LOST.has(this.client.status)) {
      // ioredis would queue the command and send it once reconnected, long after this request
      // was decided by the failure policy: Redis would then charge the client a second time
      // (even for requests the insurance refused), and right after recovery refuse a client
      // whose restarted counters should be fresh. Failing now also spares the request the wait.
      throw new Error(`brisk: redis connection ${this.client.status}`)
    }
    batchWrites(this.client)
    try {
      return await this.client.evalsha(RATE_LIMIT_SCRIPT_SHA, keys.length, ...keys, ...args)
    } catch (error) {
      // After a restart or SCRIPT FLUSH the server has forgotten the script: EVAL sends it
      // once and caches it again on that node.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return this.client.eval(RATE_LIMIT_SCRIPT, keys.length, ...keys, ...args)
      }
      throw error
    }
  }
}

/** Epoch-based milliseconds that never step back or jump with the wall clock. */
function monotonicNow(): number {
  return performance.timeOrigin + performance.now()
}

/** The script ran after its deadline, so it counted nothing: `[-1, server time]`. */
function isLate(reply: unknown): reply is [-1, number] {
  return Array.isArray(reply) && reply[0] === -1
}

/** A verdict nobody awaits any more fails like a timeout: the failure policy decides. */
function lateError(): Error {
  return new Error('brisk: the rate limit script ran after its deadline')
}

function decode(reply: unknown, count: number): Decision & { serverNow: number } {
  if (!Array.isArray(reply) || reply.length !== 2 + count * 4) {
    throw new Error('brisk: unexpected reply from the rate limit script')
  }
  const outcomes = new Array<PolicyOutcome>(count)
  for (let i = 0; i < count; i++) {
    const at = 1 + i * 4
    outcomes[i] = {
      allowed: reply[at] === 1,
      remaining: Number(reply[at + 1]),
      resetMs: Number(reply[at + 2]),
      retryAfterMs: Number(reply[at + 3]),
    }
  }
  return { allowed: reply[0] === 1, outcomes, serverNow: Number(reply[1 + count * 4]) }
}

/** A store shared by every process through Redis: see {@link RedisStore}. */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options)
}
