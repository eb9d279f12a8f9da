import type { CpuSample } from './cpu.js'
import type { ServerSpec } from './server-spec.js'

/** What a server process reports about itself (memory after forced GCs, brisk counters, gauges). */
export interface ServerStats {
  rss: number
  heapTotal: number
  heapUsed: number
  /** Memory outside V8's heap that V8 knows of (ArrayBuffers, Buffers among them). */
  external: number
  arrayBuffers: number
  counters: Record<string, number>
  gauges: Record<string, number>
}

/** `cpu`: the server's own CPU time now (sampled before and after each measured round). */
export type ServerCommand =
  { type: 'start'; spec: ServerSpec } | { type: 'stats' } | { type: 'cpu' } | { type: 'stop' }

export type ServerReply =
  | { type: 'listening'; port: number; stats: ServerStats }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'cpu'; sample: CpuSample }
  | { type: 'error'; message: string }

/** One autocannon run, described as data for the load process. */
export interface LoadJob {
  url: string
  path: string
  /** Cycle through this many distinct URLs (`path?k=0` … `path?k=n-1`); default 1 (just `path`). */
  distinctKeys?: number
  headers: Record<string, string>
  /** Send the ETag the server gave as If-None-Match (revalidations). */
  revalidate?: boolean
  duration: number
  connections: number
}

/** A request made once before the load, with the same headers, to see what the load receives. */
export interface Preflight {
  status: number
  bodyBytes: number
  contentEncoding: string | undefined
  cacheStatus: string | undefined
  etag: string | undefined
}

export interface LoadResult {
  requestsPerSecond: number
  latencyP50: number
  latencyP99: number
  /** Bytes read per response, head included (autocannon's throughput / responses). */
  bytesPerResponse: number
  responses: number
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  preflight: Preflight
  /** The load process's own CPU time and the wall time while autocannon ran (µs). */
  cpu: CpuSample
}

export type LoadCommand = { type: 'run'; id: number; job: LoadJob }
export type LoadReply =
  { type: 'result'; id: number; result: LoadResult } | { type: 'error'; id: number; message: string }
