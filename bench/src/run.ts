/**
 * `npm run bench`: starts each scenario's servers in child processes pinned to core 0, drives
 * them with autocannon from a child pinned to core 1, interleaves the variants over several
 * rounds after a warm-up, and writes results/latest.{json,md,svg}. Every run is bounded: each
 * autocannon job has a fixed duration and every child answer a deadline.
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSize } from '@brisk/core'
import {
  BenchArgsError,
  extraWarmUpSeconds,
  MAX_WARMUP_SECONDS,
  parseBenchArgs,
  type BenchArgs,
} from './args.js'
import { ask, startChild, stopChild, tasksetWorks } from './child.js'
import { coreBetween, coreTimes, type CpuSample } from './cpu.js'
import type { DataCacheJob, DataCacheReply } from './data-cache-process.js'
import type { LoadJob, LoadReply, LoadResult, ServerCommand, ServerReply, ServerStats } from './protocol.js'
import { redisServerInstalled, startOwnRedis, type OwnRedis } from './own-redis.js'
import { deletePrefix, redisAnswers, redisUrl } from './redis-keys.js'
import { renderMarkdown } from './report-markdown.js'
import { renderSvg } from './report-svg.js'
import type { BenchReport, CpuFigures, RoundCpu, ScenarioResult, VariantResult } from './results.js'
import {
  allScenarios,
  keepVariants,
  selectScenarios,
  type DataCacheScenario,
  type HttpScenario,
  type HttpVariant,
  type Scenario,
} from './scenarios.js'
import { usesRedis, type ServerSpec } from './server-spec.js'
import { hitRatio, median, ratio } from './stats.js'
import { evaluateTargets } from './targets.js'

const SERVER_CORE = 0
const LOAD_CORE = 1
const START_TIMEOUT_MS = 60_000

interface Context {
  args: BenchArgs
  pinned: boolean
  runPrefix: string
  redis: { url: string; up: boolean }
  load: ChildProcess
  nextJob: number
}

const live = new Set<ChildProcess>()

function track(child: ChildProcess): ChildProcess {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

function log(message: string): void {
  process.stdout.write(`${message}\n`)
}

/** The responses a variant's warm-up goes on for (0: `--warmup` seconds only). */
export function warmupCount(variant: HttpVariant, args: Pick<BenchArgs, 'warmupRequests'>): number {
  return variant.warmupByTime === undefined ? args.warmupRequests : 0
}

/**
 * Seconds a selection will take, servers' start-up aside: at least (every warm-up as long as
 * `--warmup`) and at most (every HTTP warm-up lengthened to MAX_WARMUP_SECONDS for its count,
 * but those of variants that warm up by time only).
 */
export function estimateSeconds(
  scenarios: readonly Scenario[],
  args: BenchArgs,
): { least: number; most: number } {
  const longest =
    args.warmupRequests > 0 && args.warmup > 0 ? Math.max(args.warmup, MAX_WARMUP_SECONDS) : args.warmup
  const rounds = args.repeats * args.duration
  let least = 0
  let most = 0
  for (const scenario of scenarios) {
    if (scenario.kind !== 'http') {
      const seconds = scenario.variants.length * (args.warmup + rounds)
      least += seconds
      most += seconds
      continue
    }
    const measured = scenario.variants.filter((v) => v.skip === undefined)
    // HTTP servers start afresh each round, so they warm up each round too.
    const warmUps = scenario.oneProcess === undefined ? args.repeats : 1
    const lengthened = measured.filter((v) => warmupCount(v, args) > 0).length
    const seconds = measured.length * (warmUps * args.warmup + rounds)
    least += seconds
    most += seconds + lengthened * warmUps * (longest - args.warmup)
  }
  return { least, most }
}

interface RunningServer {
  variant: HttpVariant
  child: ChildProcess
  port: number
  started: ServerStats
}

async function startServer(ctx: Context, variant: HttpVariant, spec: ServerSpec): Promise<RunningServer> {
  const child = track(
    startChild('./server-process.ts', ctx.pinned ? SERVER_CORE : undefined, ['--expose-gc']),
  )
  try {
    const reply = await ask<ServerReply>(
      child,
      { type: 'start', spec } satisfies ServerCommand,
      (r) => r.type === 'listening' || r.type === 'error',
      START_TIMEOUT_MS,
    )
    if (reply.type === 'error') throw new Error(reply.message.split('\n')[0])
    if (reply.type !== 'listening') throw new Error(`unexpected reply ${reply.type}`)
    return { variant, child, port: reply.port, started: reply.stats }
  } catch (error) {
    await stopChild(child, undefined)
    throw error
  }
}

async function serverStats(server: RunningServer): Promise<ServerStats> {
  const reply = await ask<ServerReply>(
    server.child,
    { type: 'stats' } satisfies ServerCommand,
    (r) => r.type === 'stats',
    30_000,
  )
  if (reply.type !== 'stats') throw new Error('no stats')
  return reply.stats
}

async function serverCpu(server: RunningServer): Promise<CpuSample> {
  const reply = await ask<ServerReply>(
    server.child,
    { type: 'cpu' } satisfies ServerCommand,
    (r) => r.type === 'cpu',
    30_000,
  )
  if (reply.type !== 'cpu') throw new Error('no cpu sample')
  return reply.sample
}

/**
 * One measured round: the server's CPU time sampled just before and just after autocannon's run
 * (the window also holds the preflight request and two IPC round trips, a few ms), and each
 * core's times from /proc/stat over the same window when the processes are pinned.
 */
async function measuredRound(
  ctx: Context,
  server: RunningServer,
  job: LoadJob,
): Promise<{ result: LoadResult; cpu: RoundCpu }> {
  const coresBefore = ctx.pinned ? coreTimes() : undefined
  const before = await serverCpu(server)
  const result = await runLoad(ctx, job)
  const after = await serverCpu(server)
  const coresAfter = ctx.pinned ? coreTimes() : undefined
  const cpu: RoundCpu = {
    responses: result.responses,
    serverCpu: after.cpu - before.cpu,
    serverWall: after.wall - before.wall,
    loadCpu: result.cpu.cpu,
    loadWall: result.cpu.wall,
  }
  const core = (index: number) => {
    const start = coresBefore?.[index]
    const end = coresAfter?.[index]
    return start === undefined || end === undefined ? undefined : coreBetween(start, end)
  }
  const serverCore = core(SERVER_CORE)
  const loadCore = core(LOAD_CORE)
  if (serverCore !== undefined) cpu.serverCore = serverCore
  if (loadCore !== undefined) cpu.loadCore = loadCore
  return { result, cpu }
}

/** Medians over the rounds of the server's CPU per response, its utilisation and autocannon's. */
export function cpuFigures(rounds: readonly RoundCpu[]): CpuFigures | undefined {
  if (rounds.length === 0 || rounds.some((r) => r.responses <= 0 || r.loadWall <= 0 || r.serverWall <= 0))
    return undefined
  const figures: CpuFigures = {
    perResponse: median(rounds.map((r) => r.serverCpu / r.responses)),
    server: median(rounds.map((r) => r.serverCpu / r.loadWall)),
    load: median(rounds.map((r) => r.loadCpu / r.loadWall)),
    rounds: [...rounds],
  }
  const share = (pick: (r: RoundCpu) => number | undefined): number | undefined => {
    const values = rounds.map(pick)
    return values.every((v) => v !== undefined) ? Math.max(0, median(values as number[])) : undefined
  }
  const other = share((r) => r.serverCore && (r.serverCore.busy - r.serverCpu) / r.serverWall)
  const steal = share((r) => r.serverCore && r.serverCore.steal / r.serverWall)
  const otherLoad = share((r) => r.loadCore && (r.loadCore.busy - r.loadCpu) / r.serverWall)
  if (other !== undefined) figures.otherOnServerCore = other
  if (steal !== undefined) figures.stealOnServerCore = steal
  if (otherLoad !== undefined) figures.otherOnLoadCore = otherLoad
  return figures
}

async function runLoad(ctx: Context, job: LoadJob): Promise<LoadResult> {
  const id = ctx.nextJob++
  const reply = await ask<LoadReply>(
    ctx.load,
    { type: 'run', id, job },
    (r) => r.id === id,
    (job.duration + 60) * 1000,
  )
  if (reply.type === 'error') throw new Error(reply.message)
  return reply.result
}

/**
 * `args.warmup` seconds of load, then more at the rate measured until the server has answered
 * `args.warmupRequests` (MAX_WARMUP_SECONDS in all at most): a fixed time would warm a 10k req/s
 * Express server a fifth as much as a 50k req/s raw listener. Says how long it took.
 */
async function warmUpLoad(
  ctx: Context,
  args: BenchArgs,
  variant: HttpVariant,
  job: (seconds: number) => LoadJob,
): Promise<string> {
  const warmupRequests = warmupCount(variant, args)
  let seconds = args.warmup
  let responses = (await runLoad(ctx, job(seconds))).responses
  // A lengthening runs on new connections and may come out slower than the rate it was
  // computed from: measure again, until the count or the bound is reached.
  for (;;) {
    const extra = extraWarmUpSeconds({ warmup: seconds, warmupRequests }, responses)
    if (extra === 0) break
    responses += (await runLoad(ctx, job(extra))).responses
    seconds += extra
  }
  return `${seconds} s, ${responses} responses`
}

function jobFor(
  scenario: HttpScenario,
  server: RunningServer,
  duration: number,
  connections: number,
): LoadJob {
  const shape = { ...scenario.load, ...server.variant.load }
  return {
    url: `http://127.0.0.1:${server.port}`,
    path: shape.path,
    headers: shape.headers,
    ...(shape.distinctKeys === undefined ? {} : { distinctKeys: shape.distinctKeys }),
    ...(shape.revalidate === undefined ? {} : { revalidate: shape.revalidate }),
    duration,
    connections,
  }
}

/** What makes a variant's rounds doubtful: socket errors, timeouts, statuses other than expected. */
export function problemsOf(rounds: readonly LoadResult[], expectStatus: number): string[] {
  const problems: string[] = []
  const errors = rounds.reduce((sum, r) => sum + r.errors, 0)
  const timeouts = rounds.reduce((sum, r) => sum + r.timeouts, 0)
  if (errors > 0) problems.push(`${errors} socket errors`)
  if (timeouts > 0) problems.push(`${timeouts} timeouts`)
  const unexpected: Record<string, number> = {}
  for (const round of rounds) {
    for (const [code, count] of Object.entries(round.statusCodes)) {
      if (Number(code) !== expectStatus) unexpected[code] = (unexpected[code] ?? 0) + count
    }
    if (round.preflight.status !== expectStatus) unexpected[`preflight ${round.preflight.status}`] = 1
  }
  for (const [code, count] of Object.entries(unexpected))
    problems.push(`${count}× status ${code} (expected ${expectStatus})`)
  return problems
}

/** Whether a data-cache variant talks to Redis: the tiered ones (memory + Redis). */
function dataCacheUsesRedis(id: string): boolean {
  return id.endsWith('-tiered')
}

/** Whether a scenario has variants that talk to Redis (data-cache's tiered ones, Redis stores and limiters). */
function needsRedis(scenario: Scenario): boolean {
  if (scenario.kind !== 'http') return scenario.variants.some((variant) => dataCacheUsesRedis(variant.id))
  return scenario.variants.some(
    (variant) => variant.skip === undefined && variant.server !== undefined && usesRedis(variant.server),
  )
}

async function runHttpScenario(ctx: Context, scenario: HttpScenario): Promise<ScenarioResult> {
  const { args } = ctx
  const results = new Map<string, VariantResult>()
  const specs = new Map<HttpVariant, ServerSpec>()
  for (const variant of scenario.variants) {
    const base: VariantResult = { id: variant.id, label: variant.label, rounds: [], problems: [] }
    results.set(variant.id, base)
    if (variant.skip !== undefined || variant.server === undefined) {
      base.notMeasured = variant.skip ?? 'no server'
      continue
    }
    const spec: ServerSpec = { ...variant.server }
    if (usesRedis(spec)) {
      if (!ctx.redis.up) {
        base.notMeasured = `Redis not reachable at ${ctx.redis.url}`
        continue
      }
      spec.redis = { url: ctx.redis.url, prefix: `${ctx.runPrefix}${scenario.name}:${variant.id}:` }
    }
    specs.set(variant, spec)
  }
  const rounds = new Map<string, LoadResult[]>()
  const cpuRounds = new Map<string, RoundCpu[]>()
  /** Per variant, the counters summed over its processes before and after their measured rounds. */
  const counted = new Map<string, { before: Record<string, number>; after: Record<string, number> }>()
  /** Per variant, its last process: how it started and where it ended. */
  const last = new Map<string, { started: ServerStats; after: ServerStats }>()
  const measuring = (variant: HttpVariant): boolean => results.get(variant.id)!.notMeasured === undefined
  const attempt = async (server: RunningServer, action: () => Promise<void>): Promise<void> => {
    if (!measuring(server.variant)) return
    try {
      await action()
    } catch (error) {
      results.get(server.variant.id)!.notMeasured =
        `load failed: ${error instanceof Error ? error.message : String(error)}`
    }
  }
  const startAll = async (): Promise<RunningServer[]> => {
    const running: RunningServer[] = []
    await Promise.all(
      [...specs].map(async ([variant, spec]) => {
        if (!measuring(variant)) return
        try {
          running.push(await startServer(ctx, variant, spec))
        } catch (error) {
          results.get(variant.id)!.notMeasured =
            `server failed to start: ${error instanceof Error ? error.message : String(error)}`
        }
      }),
    )
    // Report order is the scenario's, whatever order the servers came up in.
    return running.sort((a, b) => scenario.variants.indexOf(a.variant) - scenario.variants.indexOf(b.variant))
  }
  const warmUp = async (running: readonly RunningServer[]): Promise<Map<string, ServerStats>> => {
    const warmed = new Map<string, ServerStats>()
    for (const server of running) {
      log(`  warm-up ${server.variant.id} (server pid ${server.child.pid})`)
      await attempt(server, async () => {
        if (args.warmup > 0) {
          const done = await warmUpLoad(ctx, args, server.variant, (seconds) =>
            jobFor(scenario, server, seconds, args.connections),
          )
          log(`  warmed ${server.variant.id}: ${done}`)
        }
        warmed.set(server.variant.id, await serverStats(server))
      })
    }
    return warmed
  }
  const finish = async (
    running: readonly RunningServer[],
    warmed: Map<string, ServerStats>,
  ): Promise<void> => {
    for (const server of running) {
      await attempt(server, async () => {
        const end = await serverStats(server)
        const start = warmed.get(server.variant.id)!
        const sums = counted.get(server.variant.id) ?? { before: {}, after: {} }
        for (const [name, value] of Object.entries(start.counters))
          sums.before[name] = (sums.before[name] ?? 0) + value
        for (const [name, value] of Object.entries(end.counters))
          sums.after[name] = (sums.after[name] ?? 0) + value
        counted.set(server.variant.id, sums)
        last.set(server.variant.id, { started: server.started, after: end })
      })
    }
  }
  const stopAll = (running: readonly RunningServer[]): Promise<unknown> =>
    Promise.all(running.map((server) => stopChild(server.child, { type: 'stop' } satisfies ServerCommand)))

  // A process's speed depends on more than its code (where V8 optimised what, where its heap
  // landed): the same limiter measured 31.5 to 39.5 µs/response in four processes. So each round
  // starts its own processes, and the median over rounds is also a median over processes, unless
  // the scenario measures state that builds up across rounds.
  const fresh = scenario.oneProcess === undefined
  let running: RunningServer[] = []
  let warmed = new Map<string, ServerStats>()
  try {
    for (let round = 1; round <= args.repeats; round++) {
      if (fresh || round === 1) {
        running = await startAll()
        warmed = await warmUp(running)
      }
      for (const server of running) {
        await attempt(server, async () => {
          const job = jobFor(scenario, server, args.duration, args.connections)
          const { result, cpu } = await measuredRound(ctx, server, job)
          rounds.set(server.variant.id, [...(rounds.get(server.variant.id) ?? []), result])
          cpuRounds.set(server.variant.id, [...(cpuRounds.get(server.variant.id) ?? []), cpu])
          const percent = (part: number, whole: number): string => `${Math.round((100 * part) / whole)}%`
          log(
            `  round ${round}/${args.repeats} ${server.variant.id}: ${Math.round(result.requestsPerSecond)} req/s, ` +
              `server ${cpu.responses > 0 ? (cpu.serverCpu / cpu.responses).toFixed(1) : '–'} µs/response, ` +
              `CPU server ${percent(cpu.serverCpu, cpu.loadWall)} autocannon ${percent(cpu.loadCpu, cpu.loadWall)}`,
          )
        })
      }
      if (fresh || round === args.repeats) {
        await finish(running, warmed)
        const stopping = running
        running = []
        await stopAll(stopping)
      }
    }
  } finally {
    await stopAll(running)
  }

  for (const variant of specs.keys()) {
    const result = results.get(variant.id)!
    const measured = rounds.get(variant.id) ?? []
    if (result.notMeasured !== undefined || measured.length === 0) continue
    const expectStatus = { ...scenario.load, ...variant.load }.expectStatus
    const final = measured[measured.length - 1]!
    result.rounds = measured.map((r) => r.requestsPerSecond)
    result.perSecond = median(result.rounds)
    result.latencyP50 = median(measured.map((r) => r.latencyP50))
    result.latencyP99 = median(measured.map((r) => r.latencyP99))
    result.bytesPerResponse = median(measured.map((r) => r.bytesPerResponse))
    result.bodyBytes = final.preflight.bodyBytes
    result.status = final.preflight.status
    if (final.preflight.contentEncoding !== undefined)
      result.contentEncoding = final.preflight.contentEncoding
    if (final.preflight.cacheStatus !== undefined) result.cacheStatus = final.preflight.cacheStatus
    result.problems = problemsOf(measured, expectStatus)
    const cpu = cpuFigures(cpuRounds.get(variant.id)!)
    if (cpu !== undefined) result.cpu = cpu
    const sums = counted.get(variant.id)
    const hits = sums === undefined ? undefined : hitRatio(sums.before, sums.after)
    if (hits !== undefined) result.hitRatio = hits
    const process = last.get(variant.id)
    const bound = variant.server?.storeMaxSize
    if (process !== undefined && bound !== undefined) {
      const { started, after: end } = process
      const live = (stats: ServerStats): number => stats.heapUsed + stats.external
      result.memory = {
        rssGrowth: end.rss - started.rss,
        liveGrowth: live(end) - live(started),
        storeBytes: end.gauges.storeBytes ?? 0,
        storeBound: parseSize(bound, 'storeMaxSize'),
      }
    }
  }
  const reference = results.get(scenario.reference)
  const variants = scenario.variants.map((variant) => {
    const result = results.get(variant.id)!
    const value = ratio(
      result.perSecond,
      reference?.notMeasured === undefined ? reference?.perSecond : undefined,
    )
    if (value !== undefined) result.ratio = value
    const capacity = ratio(
      reference?.notMeasured === undefined ? reference?.cpu?.perResponse : undefined,
      result.cpu?.perResponse,
    )
    if (capacity !== undefined) result.capacityRatio = capacity
    return result
  })
  return {
    name: scenario.name,
    group: scenario.group,
    title: scenario.title,
    unit: 'req/s',
    reference: scenario.reference,
    variants,
  }
}

async function runDataCacheScenario(ctx: Context, scenario: DataCacheScenario): Promise<ScenarioResult> {
  const { args } = ctx
  const variants: VariantResult[] = scenario.variants.map((v) => ({
    id: v.id,
    label: v.label,
    rounds: [],
    problems: [],
  }))
  const runnable = scenario.variants.filter((v) => ctx.redis.up || !dataCacheUsesRedis(v.id)).map((v) => v.id)
  for (const variant of variants) {
    if (!runnable.includes(variant.id as DataCacheJob['variants'][number]))
      variant.notMeasured = `Redis not reachable at ${ctx.redis.url}`
  }
  const child = track(startChild('./data-cache-process.ts', ctx.pinned ? SERVER_CORE : undefined))
  try {
    const job: DataCacheJob = {
      type: 'run',
      variants: runnable,
      duration: args.duration,
      warmup: args.warmup,
      repeats: args.repeats,
      redis: ctx.redis.up ? { url: ctx.redis.url, prefix: `${ctx.runPrefix}${scenario.name}:` } : undefined,
    }
    log(`  ${runnable.length} variants × (${args.warmup} s + ${args.repeats} × ${args.duration} s)`)
    const timeout = (runnable.length * (args.warmup + args.repeats * args.duration) + 60) * 1000
    const reply = await ask<DataCacheReply>(child, job, () => true, timeout)
    if (reply.type === 'error') throw new Error(reply.message)
    for (const variant of variants) {
      const error = reply.errors[variant.id]
      if (error !== undefined) variant.notMeasured = `failed: ${error}`
      const rounds = reply.opsPerSecond[variant.id]
      if (rounds === undefined || rounds.length === 0) continue
      variant.rounds = rounds
      variant.perSecond = median(rounds)
    }
  } finally {
    await stopChild(child, undefined)
  }
  const reference = variants.find((v) => v.id === scenario.reference)
  for (const variant of variants) {
    const value = ratio(variant.perSecond, reference?.perSecond)
    if (value !== undefined) variant.ratio = value
  }
  return {
    name: scenario.name,
    group: scenario.group,
    title: scenario.title,
    unit: 'ops/s',
    reference: scenario.reference,
    variants,
  }
}

/** The measured tree's commit, so a result can be traced to the code it measured. */
function revision(): string {
  const cwd = fileURLToPath(new URL('../../', import.meta.url))
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' })
  if (head.status !== 0) return 'unknown'
  // Only what is measured counts: the packages, the example and the bench.
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'packages', 'examples', 'bench'], {
    cwd,
    encoding: 'utf8',
  })
  return `${head.stdout.trim()}${dirty.stdout.trim() === '' ? '' : '+dirty'}`
}

function printScenario(result: ScenarioResult): void {
  for (const v of result.variants) {
    const cpu =
      v.cpu === undefined
        ? ''
        : `  ${v.cpu.perResponse.toFixed(1)} µs/resp (capacity ${v.capacityRatio?.toFixed(2) ?? '–'})` +
          `  CPU server ${Math.round(v.cpu.server * 100)}% autocannon ${Math.round(v.cpu.load * 100)}%`
    const http =
      result.unit === 'req/s'
        ? `${cpu}  p50 ${v.latencyP50 ?? '–'} ms  p99 ${v.latencyP99 ?? '–'} ms  ${Math.round(v.bytesPerResponse ?? 0)} B/resp` +
          (v.hitRatio === undefined ? '' : `  hits ${(v.hitRatio * 100).toFixed(1)}%`)
        : ''
    const figure =
      v.notMeasured !== undefined
        ? `not measured: ${v.notMeasured}`
        : `${Math.round(v.perSecond ?? 0)} ${result.unit}  ratio ${v.ratio?.toFixed(2) ?? '–'}${http}`
    log(`  ${v.id.padEnd(26)} ${figure}${v.problems.length > 0 ? `  ⚠ ${v.problems.join('; ')}` : ''}`)
  }
}

async function main(): Promise<void> {
  let args: BenchArgs
  try {
    args = parseBenchArgs(process.argv.slice(2))
  } catch (error) {
    if (error instanceof BenchArgsError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  const all = allScenarios()
  if (args.list) {
    for (const scenario of all) log(`${scenario.name.padEnd(22)} ${scenario.title}`)
    return
  }
  const scenarios = keepVariants(selectScenarios(all, args.only, args.quick), args.variants)
  const pinned = tasksetWorks()
  const runPrefix = `brisk-bench:${randomBytes(4).toString('hex')}:`
  let own: OwnRedis | undefined
  let redis = { url: redisUrl(), up: false }
  const stopAll = async (): Promise<void> => {
    await Promise.all([...live].map((child) => stopChild(child, undefined, 2000)))
    if (redis.up) await deletePrefix(redis.url, runPrefix).catch(() => 0)
    await own?.stop()
  }
  // Handlers first: a signal while the own Redis starts must stop it too.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping servers and deleting this run's Redis keys`)
      void stopAll().finally(() => process.exit(code))
    })
  }
  const startedAt = new Date().toISOString()
  // Read when the run starts, the tree its servers are meant to load; read at the end, an edit
  // made elsewhere in the tree during a long run marked the whole report as dirty.
  const measuredRevision = revision()
  const results: ScenarioResult[] = []
  let redisLabel: string | undefined
  try {
    const needed = scenarios.some(needsRedis)
    // REDIS_URL names the Redis to use; without it the run starts its own, off the server's core.
    let ownFailed: string | undefined
    if (needed && process.env.REDIS_URL === undefined && redisServerInstalled()) {
      try {
        own = await startOwnRedis(pinned ? LOAD_CORE : undefined)
      } catch (error) {
        ownFailed = error instanceof Error ? error.message : String(error)
      }
    }
    const url = own?.url ?? redisUrl()
    // The own server answered PING before startOwnRedis returned; another is asked now.
    redis = { url, up: needed && (own !== undefined || (await redisAnswers(url))) }
    if (needed) {
      const which =
        own !== undefined
          ? `the run's own redis-server${pinned ? `, on core ${LOAD_CORE}` : ''}`
          : process.env.REDIS_URL !== undefined
            ? `REDIS_URL ${url}`
            : `${url}${ownFailed === undefined ? '' : ` (the run's own did not start: ${ownFailed})`}`
      redisLabel = redis.up ? which : `${which}, not reachable`
    }
    const minutes = (seconds: number): number => Math.ceil(seconds / 60)
    const estimate = estimateSeconds(scenarios, args)
    log(
      `brisk bench: ${scenarios.length} scenarios, ${minutes(estimate.least)}` +
        `${estimate.most > estimate.least ? `-${minutes(estimate.most)}` : ''} min of load; ` +
        `${pinned ? 'servers on core 0, autocannon on core 1' : 'taskset unavailable, not pinned'}` +
        (redisLabel === undefined
          ? ''
          : `; Redis: ${redisLabel}${redis.up ? ` (keys under ${runPrefix})` : ', Redis variants skipped'}`),
    )
    const load = track(startChild('./load-process.ts', pinned ? LOAD_CORE : undefined))
    const ctx: Context = { args, pinned, runPrefix, redis, load, nextJob: 0 }
    for (const scenario of scenarios) {
      log(`\n${scenario.name}: ${scenario.title}`)
      const result =
        scenario.kind === 'http'
          ? await runHttpScenario(ctx, scenario)
          : await runDataCacheScenario(ctx, scenario)
      printScenario(result)
      results.push(result)
      if (redis.up) await deletePrefix(redis.url, runPrefix)
    }
  } finally {
    await stopAll()
  }
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      pinned,
      quick: args.quick,
      revision: measuredRevision,
      ...(redisLabel === undefined ? {} : { redis: redisLabel }),
    },
    settings: {
      duration: args.duration,
      warmup: args.warmup,
      warmupRequests: args.warmupRequests,
      warmupMaxSeconds: MAX_WARMUP_SECONDS,
      repeats: args.repeats,
      connections: args.connections,
    },
    scenarios: results,
    targets: evaluateTargets(results),
  }
  const outDir = args.outDir ?? fileURLToPath(new URL('../results/', import.meta.url))
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(outDir, 'latest.md'), renderMarkdown(report))
  await writeFile(join(outDir, 'latest.svg'), renderSvg(report))
  log('\nTargets:')
  for (const target of report.targets)
    log(
      `  ${target.verdict.padEnd(12)} ${target.measured?.toFixed(2) ?? '–'}× ${target.target}` +
        (target.judgedBy === undefined ? '' : ` (by ${target.judgedBy})`),
    )
  log(`\nwrote ${join(outDir, 'latest')}.{json,md,svg}`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}
