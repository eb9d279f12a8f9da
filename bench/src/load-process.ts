/**
 * The load generator in its own process (the harness pins it to core 1): runs autocannon jobs
 * one at a time through its programmatic API and reports medians' raw material.
 */
import { request } from 'node:http'
import autocannon from 'autocannon'
import { cpuBetween, cpuSample } from './cpu.js'
import type { LoadCommand, LoadJob, LoadReply, LoadResult, Preflight } from './protocol.js'

function get(url: string, headers: Record<string, string>): Promise<Preflight> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let bodyBytes = 0
      res.on('data', (chunk: Buffer) => (bodyBytes += chunk.length))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bodyBytes,
          contentEncoding: res.headers['content-encoding'],
          cacheStatus: res.headers['cache-status'] as string | undefined,
          etag: res.headers.etag,
        }),
      )
      res.on('error', reject)
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`preflight to ${url} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

async function run(job: LoadJob): Promise<LoadResult> {
  const headers = { ...job.headers }
  if (job.revalidate === true) {
    const first = await get(job.url + job.path, headers)
    if (first.etag === undefined) throw new Error(`no ETag at ${job.path} to revalidate with`)
    headers['if-none-match'] = first.etag
  }
  const preflight = await get(job.url + job.path, headers)
  const keys = job.distinctKeys ?? 1
  let next = 0
  const separator = job.path.includes('?') ? '&' : '?'
  const cpuStart = cpuSample()
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.duration,
    headers,
    requests:
      keys > 1
        ? [
            {
              method: 'GET',
              setupRequest: (req) => {
                req.path = `${job.path}${separator}k=${next}`
                next = (next + 1) % keys
                return req
              },
            },
          ]
        : [{ method: 'GET', path: job.path }],
  })
  const cpu = cpuBetween(cpuStart, cpuSample())
  const responses = result.requests.total
  return {
    requestsPerSecond: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    bytesPerResponse: responses > 0 ? result.throughput.total / responses : 0,
    responses,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [
        code,
        (stat as { count: number }).count,
      ]),
    ),
    preflight,
    cpu,
  }
}

process.on('message', (command: LoadCommand) => {
  run(command.job).then(
    (result) => process.send?.({ type: 'result', id: command.id, result } satisfies LoadReply),
    (error: unknown) =>
      process.send?.({
        type: 'error',
        id: command.id,
        message: error instanceof Error ? error.message : String(error),
      } satisfies LoadReply),
  )
})
process.on('disconnect', () => process.exit(0))
