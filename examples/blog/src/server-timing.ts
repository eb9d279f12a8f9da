import { performance } from 'node:perf_hooks'

/**
 * Collects durations for the `Server-Timing` response header (W3C Server Timing), so the
 * browser's network panel shows where the app spent its time: `db`, `render`, and `app`
 * (the whole handler). A response served from the cache carries the timing of the render
 * that filled it.
 */
export class ServerTiming {
  private readonly started = performance.now()
  private readonly spent = new Map<string, number>()

  /** Runs `work`, adding its duration to metric `name`. */
  measure<T>(name: string, work: () => T): T {
    const start = performance.now()
    try {
      return work()
    } finally {
      this.spent.set(name, (this.spent.get(name) ?? 0) + performance.now() - start)
    }
  }

  /** Awaits `work`, adding its duration to metric `name`. */
  async measureAsync<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now()
    try {
      return await work()
    } finally {
      this.spent.set(name, (this.spent.get(name) ?? 0) + performance.now() - start)
    }
  }

  /** The header value, ending with the total time since this object was made as `app`. */
  header(): string {
    const parts: string[] = []
    for (const [name, ms] of this.spent) parts.push(`${name};dur=${ms.toFixed(2)}`)
    parts.push(`app;dur=${(performance.now() - this.started).toFixed(2)}`)
    return parts.join(', ')
  }
}
