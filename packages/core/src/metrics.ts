import { BriskOptionError } from './options-error.js'

/**
 * Counters every concern reports, named once here so that a `/metrics` endpoint, a test and
 * a dashboard agree on them.
 */
export const COUNTERS = {
  'cache.hit': 'responses served from the cache',
  'cache.miss': 'requests the cache passed to the app and may store',
  'cache.stale': 'stale responses served (stale-while-revalidate or stale-if-error)',
  'cache.bypass': 'requests the cache did not handle (method, private, no-store, backend down)',
  'cache.store': 'responses written to the store',
  'cache.coalesced': 'requests that waited for a concurrent identical miss instead of calling the app',
  'cache.revalidated': 'stale entries refreshed by a conditional request answered 304',
  'cache.refresh': 'background refreshes of stale entries sent through the app (stale-while-revalidate)',
  'cache.purge': 'purge operations (key, URL, tag or all)',
  'data.hit': 'data-cache reads answered from the store',
  'data.miss': 'data-cache reads that ran the factory',
  'data.stale': 'data-cache reads answered with a stale value within grace',
  'data.factoryError': 'data-cache factory calls that threw',
  'data.timeout': 'data-cache factory calls that exceeded their timeout',
  'compress.responses': 'responses compressed',
  'compress.bytesIn': 'bytes before compression',
  'compress.bytesOut': 'bytes after compression',
  'conditional.notModified': '304 Not Modified answers',
  'conditional.preconditionFailed': '412 Precondition Failed answers',
  'ratelimit.allowed': 'requests the limiter let through',
  'ratelimit.limited': 'requests the limiter refused (429)',
  'backend.error': 'backend (Redis, Memcached) commands that failed or timed out',
  'backend.incident': 'backend incidents (a run of failures, logged once)',
} as const

export type CounterName = keyof typeof COUNTERS

export type MetricsListener = (name: CounterName, by: number) => void

/**
 * A set of monotonic counters. Increments are a property write, cheap enough for the hit
 * path; listeners (e.g. a prom-client bridge) are optional.
 */
export class BriskMetrics {
  private readonly counts: Record<CounterName, number>
  private listeners: MetricsListener[] = []

  constructor() {
    const counts = {} as Record<CounterName, number>
    for (const name of Object.keys(COUNTERS) as CounterName[]) counts[name] = 0
    this.counts = counts
  }

  inc(name: CounterName, by = 1): void {
    this.counts[name] += by
    for (const listener of this.listeners) listener(name, by)
  }

  get(name: CounterName): number {
    return this.counts[name]
  }

  snapshot(): Readonly<Record<CounterName, number>> {
    return { ...this.counts }
  }

  /** Calls `listener` on every increment; returns a function that removes it. */
  subscribe(listener: MetricsListener): () => void {
    this.listeners = [...this.listeners, listener]
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener)
    }
  }

  reset(): void {
    for (const name of Object.keys(this.counts) as CounterName[]) this.counts[name] = 0
  }
}

/** The counters a middleware reports to when it is given none of its own. */
export const defaultMetrics = new BriskMetrics()

/**
 * A `metrics` option, checked at creation: a middleware given something without `inc` would
 * otherwise fail every request it counts. Duck-typed rather than `instanceof`: a second copy of
 * @brisk/core (bundled, or dist next to sources) makes a genuine BriskMetrics fail instanceof.
 */
export function resolveMetrics(metrics: unknown, option = 'metrics'): BriskMetrics {
  if (metrics === undefined) return defaultMetrics
  if (typeof (metrics as Partial<BriskMetrics> | null)?.inc !== 'function') {
    throw new BriskOptionError(option, metrics, 'a BriskMetrics instance (an object with inc(name))')
  }
  return metrics as BriskMetrics
}
