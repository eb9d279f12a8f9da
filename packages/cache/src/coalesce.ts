/**
 * In-process request coalescing ("collapsed forwarding", RFC 9211 §2.7): the first miss for a
 * key goes to the app, later identical misses wait for its outcome instead. The map only holds
 * keys being fetched right now, so it is bounded by the number of concurrent requests.
 */
export class Coalescer<T> {
  private readonly pending = new Map<string, Promise<T | undefined>>()

  /** The outcome of the fetch in flight for `key`, or undefined when none is. */
  inFlight(key: string): Promise<T | undefined> | undefined {
    return this.pending.get(key)
  }

  /**
   * Registers the caller as the one fetching `key`; the returned function publishes its outcome
   * (undefined: nothing reusable, waiters fetch for themselves) and must be called exactly once.
   */
  lead(key: string): (outcome: T | undefined) => void {
    let settle: (outcome: T | undefined) => void = () => {}
    const outcome = new Promise<T | undefined>((resolve) => {
      settle = resolve
    })
    this.pending.set(key, outcome)
    return (value) => {
      if (this.pending.get(key) === outcome) this.pending.delete(key)
      settle(value)
    }
  }

  /** Number of keys being fetched (for tests and metrics). */
  get size(): number {
    return this.pending.size
  }
}

/** Resolves with `promise`'s value, or undefined once `ms` have passed (the waiter then fetches itself). */
export function within<T>(promise: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms)
    timer.unref?.()
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      () => {
        clearTimeout(timer)
        resolve(undefined)
      },
    )
  })
}
