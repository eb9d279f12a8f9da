import { createHash } from 'node:crypto'
import type { Agent } from 'node:http'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { expect } from 'vitest'
import { closeChannel, openChannel } from './channel.js'
import { SSE_EVENTS, type ConformanceCase } from './cases.js'
import { casePath } from './servers.js'

/** Headers that describe the connection or the moment, not the response. */
const IGNORED = new Set(['date', 'connection', 'keep-alive'])

/** What a client observed, in a form two runs can be compared by. */
export interface Observed {
  status: number
  statusMessage: string
  /** Lower-case name/value pairs in arrival order, repeated fields kept (multiple Set-Cookie). */
  headers: Array<[string, string]>
  bodyLength: number
  bodySha256: string
  /** First bytes of the body as text (small bodies whole), for readable failures. */
  bodyStart: string
  /** SSE: the events in arrival order. */
  events?: string[]
}

function send(port: number, entry: ConformanceCase, agent: Agent, extra: Record<string, string> = {}) {
  return new Promise<{ res: IncomingMessage; destroy: () => void }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: entry.method ?? 'GET',
        path: casePath(entry.name),
        headers: { ...entry.requestHeaders, ...extra },
      },
      (res) => resolve({ res, destroy: () => req.destroy() }),
    )
    req.on('error', reject)
    req.end(entry.requestBody)
  })
}

function head(res: IncomingMessage): Pick<Observed, 'status' | 'statusMessage' | 'headers'> {
  const headers: Array<[string, string]> = []
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!.toLowerCase()
    if (!IGNORED.has(name)) headers.push([name, res.rawHeaders[i + 1]!])
  }
  return { status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers }
}

/** Reads a whole response, hashing as it goes (the 50 MB case is never held in memory). */
export async function readFull(port: number, entry: ConformanceCase, agent: Agent): Promise<Observed> {
  const { res } = await send(port, entry, agent)
  const hash = createHash('sha256')
  let bodyLength = 0
  let bodyStart = ''
  for await (const chunk of res) {
    const buffer = chunk as Buffer
    if (bodyLength < 256) bodyStart += buffer.subarray(0, 256 - bodyLength).toString('latin1')
    hash.update(buffer)
    bodyLength += buffer.length
  }
  return { ...head(res), bodyLength, bodySha256: hash.digest('hex'), bodyStart }
}

/**
 * Reads an SSE stream, checking that each event arrives while the handler has produced no
 * later one: the handler waits for this client to acknowledge event N before sending N+1.
 */
export async function readSse(port: number, entry: ConformanceCase, agent: Agent): Promise<Observed> {
  const { id, channel } = openChannel()
  try {
    const { res } = await send(port, entry, agent, { 'x-channel': id })
    const events: string[] = []
    const hash = createHash('sha256')
    let pending = ''
    let bodyLength = 0
    for await (const chunk of res) {
      const text = (chunk as Buffer).toString()
      hash.update(chunk as Buffer)
      bodyLength += (chunk as Buffer).length
      pending += text
      let end: number
      while ((end = pending.indexOf('\n\n')) !== -1) {
        events.push(pending.slice(0, end))
        pending = pending.slice(end + 2)
        // The server is still at this event: nothing later was produced before it arrived.
        expect(channel.sent).toBe(events.length)
        channel.receivedEvent(events.length)
      }
    }
    expect(events).toHaveLength(SSE_EVENTS)
    return { ...head(res), bodyLength, bodySha256: hash.digest('hex'), bodyStart: events[0] ?? '', events }
  } finally {
    closeChannel(id)
  }
}

/** Reads the head and first bytes, then hangs up; resolves once the handler saw the close. */
export async function disconnectMidResponse(
  port: number,
  entry: ConformanceCase,
  agent: Agent,
): Promise<Observed> {
  const { id, channel } = openChannel()
  try {
    const { res, destroy } = await send(port, entry, agent, { 'x-channel': id })
    res.on('error', () => {})
    await new Promise((resolve) => res.once('data', resolve))
    destroy()
    await channel.closed
    return { ...head(res), bodyLength: 0, bodySha256: '', bodyStart: '' }
  } finally {
    closeChannel(id)
  }
}

/**
 * Reads a body the app cuts after its first chunk: acknowledges that chunk (the app fails only
 * then), and requires the connection to end in an error rather than a complete response.
 */
export async function readBroken(port: number, entry: ConformanceCase, agent: Agent): Promise<Observed> {
  const { id, channel } = openChannel()
  try {
    const { res } = await send(port, entry, agent, { 'x-channel': id })
    const parts: Buffer[] = []
    const outcome = await new Promise<string>((resolve) => {
      res.on('data', (chunk: Buffer) => {
        parts.push(chunk)
        channel.receivedEvent(1)
      })
      res.on('end', () => resolve('complete'))
      res.on('error', () => resolve('cut'))
    })
    expect(outcome).toBe('cut')
    const body = Buffer.concat(parts)
    return {
      ...head(res),
      bodyLength: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      bodyStart: body.toString('latin1'),
    }
  } finally {
    closeChannel(id)
  }
}
