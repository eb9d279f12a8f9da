/** Thrown by `getOrSet` when the factory outlives the hard timeout; its result is still stored when it arrives. */
export class DataCacheTimeoutError extends Error {
  readonly key: string
  readonly timeoutMs: number

  constructor(key: string, timeoutMs: number) {
    super(
      `brisk data cache: the factory for key ${JSON.stringify(key)} did not settle within the hard timeout of ${timeoutMs} ms`,
    )
    this.name = 'DataCacheTimeoutError'
    this.key = key
    this.timeoutMs = timeoutMs
  }
}

/** The value {@link settleWithin} resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('brisk.data.timedOut')

/**
 * Resolves with what `promise` settles to, or with {@link TIMED_OUT} after `ms`. The promise is
 * left running (the factory finishes in the background and stores its value).
 */
export function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
