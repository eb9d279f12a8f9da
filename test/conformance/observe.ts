import { createHash } from 'node:crypto'
import { Agent } from 'node:http'
import type { Socket } from 'node:net'
import { expect } from 'vitest'
import type { ConformanceCase } from './cases.js'
import { disconnectMidResponse, readBroken, readFull, readSse, type Observed } from './client.js'
import type { RunningServer } from './servers.js'

function listenerCounts(socket: Socket): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const event of socket.eventNames()) counts[String(event)] = socket.listenerCount(event)
  return counts
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Runs a case against a server; `full` cases run several times over one connection. */
export async function observe(server: RunningServer, entry: ConformanceCase): Promise<Observed> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    if (entry.client === 'sse') return await readSse(server.port, entry, agent)
    if (entry.client === 'disconnect') return await disconnectMidResponse(server.port, entry, agent)
    if (entry.client === 'broken') return await readBroken(server.port, entry, agent)
    const repeat = entry.repeat ?? 3
    const first = await readFull(server.port, entry, agent)
    await turn()
    const socket = server.sockets.at(-1)!
    const before = listenerCounts(socket)
    for (let run = 1; run < repeat; run++) {
      expect(await readFull(server.port, entry, agent)).toEqual(first)
    }
    // Polled, not sampled once: cleanup after the last byte may trail by a turn under load,
    // while a real leak never goes away.
    if (repeat > 1 && !socket.destroyed) await expect.poll(() => listenerCounts(socket)).toEqual(before)
    return first
  } finally {
    agent.destroy()
  }
}

export function checkReference(observed: Observed, expected: ConformanceCase['expect']): void {
  expect(observed.status).toBe(expected.status)
  if (expected.body !== undefined) {
    expect(observed.bodyLength).toBe(Buffer.byteLength(expected.body))
    expect(observed.bodySha256).toBe(createHash('sha256').update(expected.body).digest('hex'))
  }
  if (expected.bodyLength !== undefined) expect(observed.bodyLength).toBe(expected.bodyLength)
  for (const [name, value] of Object.entries(expected.header ?? {})) {
    expect(observed.headers.find(([field]) => field === name)?.[1]).toMatch(new RegExp(`^${value}`))
  }
}

/** Age and the remaining ttl in Cache-Status count seconds of the clock, not the response. */
function timeless(observed: Observed): Observed {
  return {
    ...observed,
    headers: observed.headers.map(([name, value]): [string, string] =>
      name === 'age'
        ? [name, 'N']
        : name === 'cache-status'
          ? [name, value.replace(/ttl=-?\d+/, 'ttl=N')]
          : [name, value],
    ),
  }
}

/**
 * Every response of a case, in order, for servers whose answers legitimately change from one
 * request to the next (a miss, then hits): full-body rows `repeat` times over one keep-alive
 * connection (its listeners checked as `observe` does), other rows once.
 */
export async function observeSequence(server: RunningServer, entry: ConformanceCase): Promise<Observed[]> {
  if (entry.client !== undefined && entry.client !== 'full') return [timeless(await observe(server, entry))]
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    const seen = [timeless(await readFull(server.port, entry, agent))]
    await turn()
    const socket = server.sockets.at(-1)!
    const before = listenerCounts(socket)
    const repeat = entry.repeat ?? 3
    for (let run = 1; run < repeat; run++) seen.push(timeless(await readFull(server.port, entry, agent)))
    if (repeat > 1 && !socket.destroyed) await expect.poll(() => listenerCounts(socket)).toEqual(before)
    return seen
  } finally {
    agent.destroy()
  }
}
