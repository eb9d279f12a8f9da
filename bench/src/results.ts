/** What one run of the bench wrote to results/latest.json. */

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
  /** The memory store's footprint (scale scenario). */
  memory?: { rssGrowth: number; storeBytes: number; storeBound: number }
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
  /** The measured ratio, or undefined when its inputs were not measured. */
  measured: number | undefined
  /** "met", "missed", or "not measured: why". */
  verdict: string
  detail: string
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
  }
  settings: { duration: number; warmup: number; repeats: number; connections: number }
  scenarios: ScenarioResult[]
  targets: TargetResult[]
}
