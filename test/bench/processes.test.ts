import { afterEach, describe, expect, it } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { ask, startChild, stopChild, tasksetWorks } from '../../bench/src/child.js'
import type { LoadReply, ServerReply } from '../../bench/src/protocol.js'
import { cpuFigures, problemsOf } from '../../bench/src/run.js'
import type { RoundCpu } from '../../bench/src/results.js'
import type { LoadResult } from '../../bench/src/protocol.js'

const children: ChildProcess[] = []

// The harness runs brisk from its builds; these tests check the processes' protocol, not speed,
// so their servers load brisk from its sources like the rest of the suite (a fresh clone has no
// build before `npm test`).
const FROM_SOURCES = ['--conditions=brisk-source']

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => stopChild(child, undefined)))
})

describe('the server and load processes', () => {
  it('measure a server on 127.0.0.1 through their IPC protocol, pinned where taskset works', async () => {
    const pinned = tasksetWorks()
    const server = startChild('./server-process.ts', pinned ? 0 : undefined, FROM_SOURCES)
    const load = startChild('./load-process.ts', pinned ? 1 : undefined)
    children.push(server, load)

    const listening = await ask<ServerReply>(
      server,
      { type: 'start', spec: { framework: 'node', app: 'raw' } },
      (reply) => reply.type !== 'stats',
      30_000,
    )
    expect(listening.type).toBe('listening')
    if (listening.type !== 'listening') return
    expect(listening.stats.rss).toBeGreaterThan(0)
    const cpu = async () => {
      const reply = await ask<ServerReply>(server, { type: 'cpu' }, (r) => r.type === 'cpu', 30_000)
      if (reply.type !== 'cpu') throw new Error(reply.type)
      return reply.sample
    }
    const before = await cpu()

    const job = {
      url: `http://127.0.0.1:${listening.port}`,
      path: '/',
      headers: {},
      duration: 1,
      connections: 2,
    }
    const reply = await ask<LoadReply>(load, { type: 'run', id: 7, job }, (r) => r.id === 7, 30_000)
    expect(reply.type).toBe('result')
    if (reply.type !== 'result') return
    const { result } = reply
    expect(result.preflight.status).toBe(200)
    expect(result.preflight.contentEncoding).toBeUndefined()
    expect(result.preflight.bodyBytes).toBeGreaterThan(40_000)
    expect(result.responses).toBeGreaterThan(0)
    expect(Object.keys(result.statusCodes)).toEqual(['200'])
    expect(result.errors).toBe(0)
    // Both processes report the CPU they spent: the server's grows with the responses it wrote,
    // autocannon's over a wall time close to the job's second.
    const after = await cpu()
    expect(after.cpu).toBeGreaterThan(before.cpu)
    expect(after.wall - before.wall).toBeGreaterThanOrEqual(900_000)
    expect(result.cpu.cpu).toBeGreaterThan(0)
    expect(result.cpu.wall).toBeGreaterThan(900_000)
    expect(result.cpu.wall).toBeLessThan(5_000_000)

    await stopChild(server, { type: 'stop' })
    expect(server.exitCode).toBe(0)
  })

  it('report a job that cannot run as an error, not a hang', async () => {
    const load = startChild('./load-process.ts', undefined)
    children.push(load)
    // Nothing listens on port 9 of loopback (discard): the preflight fails at once.
    const job = { url: 'http://127.0.0.1:9', path: '/', headers: {}, duration: 1, connections: 1 }
    const reply = await ask<LoadReply>(load, { type: 'run', id: 1, job }, (r) => r.id === 1, 30_000)
    expect(reply.type).toBe('error')
  })

  it('report a server that cannot be built', async () => {
    const server = startChild('./server-process.ts', undefined, FROM_SOURCES)
    children.push(server)
    const reply = await ask<ServerReply>(
      server,
      { type: 'start', spec: { framework: 'koa3', app: 'page', layer: 'brisk-cache-redis' } },
      (r) => r.type !== 'stats',
      30_000,
    )
    expect(reply).toMatchObject({ type: 'error', message: expect.stringContaining('needs spec.redis') })
  })
})

function round(more: Partial<LoadResult>): LoadResult {
  return {
    requestsPerSecond: 1000,
    latencyP50: 1,
    latencyP99: 2,
    bytesPerResponse: 100,
    responses: 1000,
    errors: 0,
    timeouts: 0,
    statusCodes: { '200': 1000 },
    preflight: {
      status: 200,
      bodyBytes: 50,
      contentEncoding: undefined,
      cacheStatus: undefined,
      etag: undefined,
    },
    cpu: { cpu: 900_000, wall: 1_000_000 },
    ...more,
  }
}

describe('problemsOf', () => {
  it('finds nothing wrong in clean rounds', () => {
    expect(problemsOf([round({}), round({})], 200)).toEqual([])
  })

  it('sums socket errors, timeouts and unexpected statuses over the rounds', () => {
    const rounds = [
      round({ errors: 2, statusCodes: { '200': 10, '429': 3 } }),
      round({ errors: 1, timeouts: 4, statusCodes: { '429': 2 } }),
    ]
    expect(problemsOf(rounds, 200)).toEqual(['3 socket errors', '4 timeouts', '5× status 429 (expected 200)'])
  })

  it('flags 200s where revalidations should get 304, and a preflight that disagrees', () => {
    const rounds = [
      round({ statusCodes: { '304': 5, '200': 1 }, preflight: { ...round({}).preflight, status: 200 } }),
    ]
    expect(problemsOf(rounds, 304)).toEqual([
      '1× status 200 (expected 304)',
      '1× status preflight 200 (expected 304)',
    ])
  })
})

describe('cpuFigures', () => {
  const cpuRound = (more: Partial<RoundCpu>): RoundCpu => ({
    responses: 10_000,
    serverCpu: 500_000,
    serverWall: 1_010_000,
    loadCpu: 990_000,
    loadWall: 1_000_000,
    ...more,
  })

  it("gives the medians of CPU per response and of each side's utilisation", () => {
    const figures = cpuFigures([
      cpuRound({}),
      cpuRound({ serverCpu: 600_000 }),
      cpuRound({ serverCpu: 400_000, loadCpu: 800_000 }),
    ])
    expect(figures).toMatchObject({ perResponse: 50, server: 0.5, load: 0.99 })
    expect(figures?.rounds).toHaveLength(3)
    expect(figures?.otherOnServerCore).toBeUndefined()
  })

  it("reads what else ran on each core from the cores' busy time", () => {
    const core = { busy: 803_000, idle: 200_000, steal: 101_000 }
    const figures = cpuFigures([cpuRound({ serverCore: core, loadCore: { ...core, busy: 1_000_000 } })])
    // 803 ms busy on the server's core, 500 ms of it the server's, over a 1.01 s window.
    expect(figures?.otherOnServerCore).toBeCloseTo(0.3, 5)
    expect(figures?.stealOnServerCore).toBeCloseTo(0.1, 5)
    expect(figures?.otherOnLoadCore).toBeCloseTo(0.01, 2)
  })

  it('gives nothing for rounds without responses', () => {
    expect(cpuFigures([cpuRound({ responses: 0 })])).toBeUndefined()
    expect(cpuFigures([])).toBeUndefined()
  })
})
