/**
 * Coordination between a test client and the app handler serving it, in the same process: the
 * handler waits until the client has received event N before it produces event N+1, so a
 * response held back anywhere in between would show as a missing event, not a lucky timing.
 */
export class Channel {
  /** Events the handler has produced so far. */
  sent = 0
  private received = 0
  private waiters: Array<{ count: number; resolve: () => void }> = []
  private closedResolve!: () => void
  /** Resolves when the handler saw its response closed by the client. */
  readonly closed = new Promise<void>((resolve) => (this.closedResolve = resolve))

  /** Client side: event `count` arrived. */
  receivedEvent(count: number): void {
    this.received = count
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.count <= count) waiter.resolve()
      else this.waiters.push(waiter)
    }
  }

  /** Handler side: waits until the client has event `count`. */
  untilReceived(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  /** Handler side: its response was closed by the client. */
  markClosed(): void {
    this.closedResolve()
  }
}

const channels = new Map<string, Channel>()
let nextId = 0

/** A new channel and the id the client sends in `x-channel` so the handler finds it. */
export function openChannel(): { id: string; channel: Channel } {
  const id = String(++nextId)
  const channel = new Channel()
  channels.set(id, channel)
  return { id, channel }
}

export function channelFor(id: string | string[] | undefined): Channel {
  const channel = typeof id === 'string' ? channels.get(id) : undefined
  if (channel === undefined) throw new Error(`no channel ${String(id)}`)
  return channel
}

export function closeChannel(id: string): void {
  channels.delete(id)
}
