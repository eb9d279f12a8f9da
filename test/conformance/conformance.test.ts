/**
 * The adapter conformance suite: one table of cases (cases.ts), each run against Express 4,
 * Express 5, Koa 2, Koa 3 and node:http, first as the app alone, then with an identity brisk
 * middleware (`passThrough`) in front. With brisk, every response must be what the app sends
 * without it — status, reason phrase, headers (but Date / Connection / Keep-Alive), body bytes —
 * both as the framework's middleware and in front of the whole app's request listener,
 * SSE events must arrive while the stream is open, and no request may hang or leave listeners
 * behind on the keep-alive connection.
 */
import { createHash } from 'node:crypto'
import { Agent } from 'node:http'
import type { Socket } from 'node:net'
import { passThrough } from '@brisk/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CASES, type ConformanceCase } from './cases.js'
import { disconnectMidResponse, readBroken, readFull, readSse, type Observed } from './client.js'
import { FRAMEWORKS, startServer, type RunningServer } from './servers.js'

function listenerCounts(socket: Socket): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const event of socket.eventNames()) counts[String(event)] = socket.listenerCount(event)
  return counts
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Runs a case against a server; `full` cases run several times over one connection. */
async function observe(server: RunningServer, entry: ConformanceCase): Promise<Observed> {
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

function checkReference(observed: Observed, expected: ConformanceCase['expect']): void {
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

// A listener leak on any emitter shows up as a MaxListenersExceededWarning.
const warnings: Error[] = []
const onWarning = (warning: Error): void => void warnings.push(warning)
beforeAll(() => void process.on('warning', onWarning))
afterAll(() => {
  process.off('warning', onWarning)
  expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
})

describe.each(FRAMEWORKS)('adapter conformance on %s', (framework) => {
  let plain: RunningServer
  let wrapped: RunningServer
  let front: RunningServer
  beforeAll(async () => {
    plain = await startServer(framework, CASES)
    wrapped = await startServer(framework, CASES, passThrough, 'middleware')
    front = await startServer(framework, CASES, passThrough, 'front')
  })
  afterAll(async () => {
    await plain.close()
    await wrapped.close()
    await front.close()
  })

  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const reference = await observe(plain, entry)
    checkReference(reference, entry.expect)
    expect(await observe(wrapped, entry)).toEqual(reference)
    // The same capture in front of the whole app (node:http adapter around the app's listener).
    expect(await observe(front, entry)).toEqual(reference)
  })
})
