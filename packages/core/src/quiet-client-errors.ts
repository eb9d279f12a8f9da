/** What {@link quietClientErrors} needs of a client: the 'error' side of an EventEmitter. */
interface ErrorEmitter {
  listenerCount(event: 'error'): number
  on(event: 'error', listener: (error: unknown) => void): unknown
}

const ignore = (): void => {}

/**
 * A client given to a store with nobody listening to its 'error' event gets a listener that
 * ignores them. ioredis (Redis and Cluster) prints "[ioredis] Unhandled error event" and a stack
 * for each failed reconnect attempt when nothing listens: 17 of them in the first 8 s of an
 * outage, then one every 2 s for as long as it lasts, whereas the store's BackendGuard already
 * logs the incident once. Connection errors are all the event carries (a command's own failure
 * rejects its promise), and a listener the app adds, before or after, still gets every one.
 */
export function quietClientErrors(client: unknown): void {
  const emitter = client as Partial<ErrorEmitter> | null
  if (typeof emitter?.listenerCount !== 'function' || typeof emitter.on !== 'function') return
  if (emitter.listenerCount('error') === 0) emitter.on('error', ignore)
}
