/**
 * A loopback TCP proxy for fault tests: forwards every connection to a target port and, while
 * `delayMs` is above 0, holds each chunk that long in both directions (order kept: Node runs
 * timers of equal duration first in, first out). Models a slow network or an overloaded
 * Redis that still answers, unlike CLIENT PAUSE, which holds replies until the pause ends.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface LatencyProxy {
  port: number
  /** Added latency per chunk and direction; 0 forwards at once. */
  delayMs: number
  close(): Promise<void>
}

export async function startLatencyProxy(targetPort: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>()
  const state = { delayMs: 0 }
  const pipeDelayed = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (state.delayMs === 0) to.write(chunk)
      else setTimeout(() => to.writable && to.write(chunk), state.delayMs)
    })
    from.on('end', () => to.end())
    from.on('error', () => to.destroy())
    from.on('close', () => to.destroy())
  }
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    }
    pipeDelayed(client, upstream)
    pipeDelayed(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('proxy is not listening')
  return {
    port: address.port,
    get delayMs() {
      return state.delayMs
    },
    set delayMs(value: number) {
      state.delayMs = value
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
