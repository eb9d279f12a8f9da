/** What one run of the bench wrote to results/latest.json. */
import type { CoreTimes } from './cpu.js'

/** CPU spent during one measured round, µs. */
export interface RoundCpu {
  /** Responses autocannon counted in the round. */
  responses: number
  /** The server process's CPU time (all its threads) from just before to just after the round. */
  serverCpu: number
  /** Wall time of that window, as the server's clock saw it. */
  serverWall: number
  /** autocannon's process: CPU time and wall time while autocannon ran. */
  loadCpu: number
  loadWall: number
  /** The server's core and autocannon's core over the server's window (/proc/stat), when pinned. */
  serverCore?: CoreTimes
  loadCore?: CoreTimes
}

/** The server's CPU cost and who was the bottleneck, medians over the measured rounds. */
export interface CpuFigures {
  /** Server CPU time per response, µs. */
  perResponse: number
  /** Server CPU time / autocannon's run time: 1 = the server's core was busy with it all along. */
  server: number
  /** autocannon's CPU time / its run time: 1 = the load generator's core was saturated. */
  load: number
  /** Share of the server's core that others used: other processes, interrupts (its busy time minus the server's CPU). */
  otherOnServerCore?: number
  /** Share of the server's core the hypervisor took (steal). */
  stealOnServerCore?: number
  /** Share of autocannon's core that other processes used. */
  otherOnLoadCore?: number
  rounds: RoundCpu[]
}

export interface VariantResult {
  id: string
  label: string
  /** Set when the variant was not measured, with the reason. */
  notMeasured?: string
  /** Medians over the measured rounds. */
  perSecond?: number
  latencyP50?: number
  latencyP99?: number
  /** Bytes read per response, head included. */
  bytesPerResponse?: number
  /** Body bytes of one response with the same request headers (the preflight). */
  bodyBytes?: number
  status?: number
  contentEncoding?: string
  cacheStatus?: string
  /** perSecond / the reference's perSecond, same run. */
  ratio?: number
  /** cache hits / lookups over the measured rounds, from the server's brisk counters. */
  hitRatio?: number
  /** The server's CPU per response and utilisation (HTTP scenarios). */
  cpu?: CpuFigures
  /** The reference's CPU per response / this variant's: responses per CPU-second, relative. */
  capacityRatio?: number
  /**
   * The memory store's footprint (scale scenario): growth from start to end of RSS and of live
   * memory (V8 heap used + external), both read after forced GCs.
   */
  memory?: { rssGrowth: number; liveGrowth: number; storeBytes: number; storeBound: number }
  /** Per-round values (requests/s or ops/s). */
  rounds: number[]
  /** Anything that makes these numbers doubtful: socket errors, timeouts, unexpected statuses. */
  problems: string[]
}

export interface ScenarioResult {
  name: string
  group: string
  title: string
  unit: 'req/s' | 'ops/s'
  reference: string
  variants: VariantResult[]
  /** Set when the whole scenario was not run (no Redis, blog missing). */
  notMeasured?: string
}

export interface TargetResult {
  target: string
  /** The ratio the verdict used, or undefined when its inputs were not measured. */
  measured: number | undefined
  /** "met", "missed", or "not measured: why". */
  verdict: string
  detail: string
  /** Which figure `measured` is: the req/s ratio, or the CPU-per-response (capacity) ratio. */
  judgedBy?: 'req/s' | 'CPU per response' | 'ops/s' | 'RSS' | 'live memory'
  /** The two ratios of a throughput target, whichever was judged. */
  throughputRatio?: number
  capacityRatio?: number
  /** Server CPU utilisation of the variant and of the variant it is compared with. */
  serverCpu?: { variant: number; reference: number }
}

export interface BenchReport {
  startedAt: string
  finishedAt: string
  machine: {
    cpus: number
    cpuModel: string
    node: string
    platform: string
    pinned: boolean
    quick: boolean
    /** `git rev-parse HEAD` of the measured tree, with `+dirty` when it had uncommitted changes. */
    revision: string
    /** Which Redis the Redis variants used (the run's own, `REDIS_URL`'s, the default), when any did. */
    redis?: string
  }
  settings: {
    duration: number
    warmup: number
    /** Responses an HTTP variant's warm-up was lengthened to reach (absent in older reports: none). */
    warmupRequests?: number
    /** The longest such a warm-up could get, in seconds. */
    warmupMaxSeconds?: number
    repeats: number
    connections: number
  }
  scenarios: ScenarioResult[]
  targets: TargetResult[]
}
