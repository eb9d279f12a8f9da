import { parseDuration, parseTimerDuration, type Duration } from './duration.js'
import { resolveLogger, type BriskLogger } from './logger.js'
import { resolveMetrics, type BriskMetrics } from './metrics.js'
import { BriskOptionError } from './options-error.js'

export interface BackendGuardOptions {
  /** Name used in log lines, e.g. `redis cache store`. */
  name: string
  /** A command slower than this counts as a failure. Default 50 ms. */
  timeout?: Duration
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number
  /** How long an open circuit refuses commands before one probe is let through. Default 1 s. */
  resetTimeout?: Duration
  /** An incident ends (and its one "recovered" line is logged) at the first success after this long without a failure, so a backend that half works (reads pass, writes fail) is one incident, not one per failure. Default 5 s. */
  quietPeriod?: Duration
  /** pino-compatible logger; `false` silences it. */
  logger?: BriskLogger | false
  /** Counters for `backend.error` and `backend.incident`. */
  metrics?: BriskMetrics
}

/** The fault-handling options every remote store accepts (its guard's options but the name). */
export type BackendOptions = Omit<BackendGuardOptions, 'name'>

export type BackendFailure = 'timeout' | 'circuit-open' | 'error'

/** A backend command did not answer usefully; callers bypass or apply their failure policy. */
export class BackendUnavailableError extends Error {
  readonly reason: BackendFailure

  constructor(backend: string, reason: BackendFailure, cause?: unknown) {
    super(`brisk: ${backend} unavailable (${reason})`, cause === undefined ? undefined : { cause })
    this.name = 'BackendUnavailableError'
    this.reason = reason
  }
}

type CircuitState = 'closed' | 'open' | 'half-open'

/**
 * The one place where a remote store's faults are handled, for the cache, the data cache and
 * the limiter alike: a per-command timeout, a circuit breaker that stops hammering a dead
 * server and lets one probe through to detect recovery, and one log line per incident
 * (when it starts and when it ends), never one per request.
 */
export class BackendGuard {
  readonly name: string
  private readonly timeoutMs: number
  private readonly failureThreshold: number
  private readonly resetTimeoutMs: number
  private readonly quietPeriodMs: number
  private readonly logger: BriskLogger
  private readonly metrics: BriskMetrics
  private circuit: CircuitState = 'closed'
  private consecutiveFailures = 0
  private openedAt = 0
  private incidentStartedAt = 0
  private incidentFailures = 0
  private lastFailureAt = 0
  /** While half-open: resolves with whether the probe found the backend back. */
  private probe: Promise<boolean> | undefined

  constructor(options: BackendGuardOptions) {
    this.name = options.name
    this.timeoutMs = parseTimerDuration(options.timeout ?? 50, 'timeout')
    if (this.timeoutMs <= 0) throw new BriskOptionError('timeout', options.timeout, 'a duration above 0')
    const threshold = options.failureThreshold ?? 5
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new BriskOptionError('failureThreshold', threshold, 'an integer of 1 or more')
    }
    this.failureThreshold = threshold
    this.resetTimeoutMs = parseDuration(options.resetTimeout ?? 1000, 'resetTimeout')
    this.quietPeriodMs = parseDuration(options.quietPeriod ?? 5000, 'quietPeriod')
    this.logger = resolveLogger(options.logger)
    this.metrics = resolveMetrics(options.metrics)
  }

  /** `closed` while healthy, `open` while refusing commands, `half-open` while one probe runs. */
  get state(): CircuitState {
    return this.circuit
  }

  /** Whether a command would be attempted now (false while the circuit is open). */
  get available(): boolean {
    return (
      this.circuit === 'closed' ||
      (this.circuit === 'open' && Date.now() - this.openedAt >= this.resetTimeoutMs)
    )
  }

  /**
   * Runs one backend command under the timeout and the circuit breaker. Resolves with its
   * result, or rejects with a {@link BackendUnavailableError}.
   */
  run<T>(command: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    // Healthy: straight to the command, one async function deep as before the circuit existed.
    return this.circuit === 'closed'
      ? this.attempt(command, timeoutMs)
      : this.runUnhealthy(command, timeoutMs)
  }

  private async runUnhealthy<T>(command: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (this.circuit === 'half-open') {
      // Commands that arrive while the one probe runs wait for its outcome rather than being
      // refused: a backend that is back serves the first burst after an outage, not only the
      // probe (seen: 19 of 20 requests refused by a closed limiter with Redis healthy again).
      if (!(await this.probe)) throw new BackendUnavailableError(this.name, 'circuit-open')
      return this.attempt(command, timeoutMs)
    }
    if (Date.now() - this.openedAt < this.resetTimeoutMs) {
      throw new BackendUnavailableError(this.name, 'circuit-open')
    }
    return this.runProbe(command, timeoutMs)
  }

  /** The one command let through an open circuit; others wait for its outcome (`probe`). */
  private async runProbe<T>(command: () => Promise<T>, timeoutMs: number): Promise<T> {
    this.circuit = 'half-open'
    let settle: (recovered: boolean) => void = () => {}
    this.probe = new Promise<boolean>((resolve) => (settle = resolve))
    try {
      const result = await this.attempt(command, timeoutMs)
      settle(true)
      return result
    } catch (error) {
      settle(false)
      throw error
    } finally {
      this.probe = undefined
    }
  }

  private async attempt<T>(command: () => Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    try {
      const pending = command()
      const result = await new Promise<T>((resolve, reject) => {
        // The timer fires in the timers phase, before this turn's poll phase reads sockets: on a
        // busy event loop, a reply that arrived in time would lose to it. setImmediate runs
        // after the poll phase, so a reply already received settles first; only a backend that
        // really has not answered counts as slow.
        timer = setTimeout(
          () => setImmediate(() => reject(new BackendUnavailableError(this.name, 'timeout'))),
          timeoutMs,
        )
        timer.unref?.()
        pending.then(resolve, reject)
      })
      this.succeeded()
      return result
    } catch (error) {
      this.failed(error)
      if (error instanceof BackendUnavailableError) throw error
      throw new BackendUnavailableError(this.name, 'error', error)
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }

  private succeeded(): void {
    if (this.incidentFailures > 0) {
      const now = Date.now()
      if (now - this.lastFailureAt >= this.quietPeriodMs) {
        this.logger.info(
          { backend: this.name, failures: this.incidentFailures, durationMs: now - this.incidentStartedAt },
          `${this.name} recovered`,
        )
        this.incidentFailures = 0
      }
    }
    this.circuit = 'closed'
    this.consecutiveFailures = 0
  }

  private failed(error: unknown): void {
    this.metrics.inc('backend.error')
    this.consecutiveFailures += 1
    this.lastFailureAt = Date.now()
    if (this.incidentFailures === 0) {
      this.incidentStartedAt = Date.now()
      this.metrics.inc('backend.incident')
      this.logger.warn(
        { backend: this.name, err: error },
        `${this.name} failing; serving without it until it recovers`,
      )
    }
    this.incidentFailures += 1
    if (this.circuit === 'half-open' || this.consecutiveFailures >= this.failureThreshold) {
      this.circuit = 'open'
      this.openedAt = Date.now()
    }
  }
}
