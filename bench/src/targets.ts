import type { ScenarioResult, TargetResult, VariantResult } from './results.js'

/**
 * A server at or above this share of its core during the rounds counts as saturated: its
 * req/s is what it can serve. Below it, the server waited for the load generator (or for
 * something else) and its req/s says more about autocannon than about the server. Chosen
 * before looking at the figures it judges; see "How to read the numbers" in bench/README.md.
 */
export const SATURATED = 0.9

/** Other processes' share of a server's core (median over rounds) that the detail mentions. */
const BUSY_CORE = 0.1

/** What a target's ratio was computed from. */
type Measurement = Omit<TargetResult, 'target' | 'verdict'> & { measured: number }

/** A ratio the project promises, computed from the results of one run. */
interface Target {
  target: string
  /** Returns the measurement or a reason it cannot be made. */
  measure(find: Finder): Measurement | string
  /** True when the measured ratio meets the target. */
  met(measured: number): boolean
}

type Finder = (scenario: string, variant: string) => Found | string

/** A measured variant and the unit of its scenario. */
interface Found {
  variant: VariantResult
  unit: ScenarioResult['unit']
}

/** A finder over results: the measured variant, or why it is missing. */
function finder(results: readonly ScenarioResult[]): Finder {
  return (scenarioName, variantId) => {
    const scenario = results.find((s) => s.name === scenarioName)
    if (scenario === undefined) return `${scenarioName} not run`
    if (scenario.notMeasured !== undefined) return `${scenarioName}: ${scenario.notMeasured}`
    const variant = scenario.variants.find((v) => v.id === variantId)
    if (variant === undefined) return `${scenarioName}/${variantId} not run`
    if (variant.notMeasured !== undefined) return `${scenarioName}/${variantId}: ${variant.notMeasured}`
    if (variant.problems.length > 0)
      return `${scenarioName}/${variantId} invalid: ${variant.problems.join('; ')}`
    if (variant.perSecond === undefined) return `${scenarioName}/${variantId} has no number`
    return { variant, unit: scenario.unit }
  }
}

const percent = (share: number): string => `${Math.round(share * 100)}%`

/**
 * Ratio of two variants, with "the faster of" several denominators. Both req/s and, where the
 * servers' CPU was measured, CPU per response: the verdict keeps the req/s ratio when both
 * servers were saturated (≥ {@link SATURATED} of their core), and otherwise uses the capacity
 * ratio (the denominator's CPU µs per response / the numerator's), saying why.
 */
function versus(scenario: string, numerator: string, denominators: readonly string[]) {
  return (find: Finder): Measurement | string => {
    const first = find(scenario, numerator)
    if (typeof first === 'string') return first
    const { variant: top, unit } = first
    const others: VariantResult[] = []
    for (const id of denominators) {
      const found = find(scenario, id)
      if (typeof found === 'string') return found
      others.push(found.variant)
    }
    const fastest = others.reduce((a, b) => (b.perSecond! > a.perSecond! ? b : a))
    const throughputRatio = top.perSecond! / fastest.perSecond!
    const perSecond = `${numerator} ${round(top.perSecond!)} / ${fastest.id} ${round(fastest.perSecond!)}`
    const cheapest = others.every((v) => v.cpu !== undefined)
      ? others.reduce((a, b) => (b.cpu!.perResponse < a.cpu!.perResponse ? b : a))
      : undefined
    if (top.cpu === undefined || cheapest?.cpu === undefined) {
      return {
        measured: throughputRatio,
        throughputRatio,
        judgedBy: unit,
        detail: `${perSecond} (${scenario})`,
      }
    }
    const capacityRatio = cheapest.cpu.perResponse / top.cpu.perResponse
    const serverCpu = { variant: top.cpu.server, reference: cheapest.cpu.server }
    const cpuText =
      `CPU/response ${cheapest.id} ${cheapest.cpu.perResponse.toFixed(1)} µs / ${numerator} ${top.cpu.perResponse.toFixed(1)} µs` +
      ` = ${capacityRatio.toFixed(2)}×`
    const utilisation =
      `server CPU ${numerator} ${percent(top.cpu.server)}, ${cheapest.id} ${percent(cheapest.cpu.server)}; ` +
      `autocannon ${percent(top.cpu.load)}, ${percent(cheapest.cpu.load)}`
    const unsaturated = [top, cheapest].filter((v) => v.cpu!.server < SATURATED).map((v) => v.id)
    const judgedBy = unsaturated.length === 0 ? 'req/s' : 'CPU per response'
    const why =
      judgedBy === 'req/s'
        ? `both servers saturated: judged by req/s`
        : `${unsaturated.join(' and ')} below ${percent(SATURATED)} CPU: judged by CPU per response`
    // The machine is shared: say when something else took a visible share of a server's core.
    const busy = [top, cheapest]
      .filter((v) => (v.cpu!.otherOnServerCore ?? 0) >= BUSY_CORE)
      .map((v) => `${v.id} ${percent(v.cpu!.otherOnServerCore!)}`)
    const caveat = busy.length === 0 ? '' : `; ⚠ others on the server's core: ${busy.join(', ')}`
    return {
      measured: judgedBy === 'req/s' ? throughputRatio : capacityRatio,
      throughputRatio,
      capacityRatio,
      serverCpu,
      judgedBy,
      detail: `${perSecond} req/s = ${throughputRatio.toFixed(2)}×; ${cpuText}; ${utilisation}; ${why}${caveat} (${scenario})`,
    }
  }
}

function round(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value.toFixed(2)
}

/**
 * The memory store's share of memory, over its bound. Its RSS share is the RSS growth of the
 * server holding 100k URLs' pages minus that of the same server under the same 100k-URL load
 * whose store keeps nothing (it renders every page, allocates and drops the same bodies, runs the
 * same cache code). That difference can come out below the bytes the store holds: the baseline's
 * allocators already keep tens of MB of freed response bodies, which the store's bodies reuse.
 * A store cannot cost less than what it keeps alive, so the figure judged is the larger of that
 * RSS difference and the live difference (V8 heap used + external, after forced GCs). The RSS
 * growth over the 1-URL server (which renders nothing, so it also counts the miss path's
 * garbage) is reported beside them.
 */
function rssRatio(results: readonly ScenarioResult[]) {
  return (): Measurement | string => {
    const scale = results.find((s) => s.name === 'scale-koa3')
    const variant = (id: string) => scale?.variants.find((v) => v.id === id)
    const full = variant('keys-100k')
    const base = variant('keys-100k-nostore')
    const oneUrl = variant('keys-1')
    if (full === undefined || base === undefined)
      return 'scale-koa3 keys-100k and keys-100k-nostore not both run'
    if (full.notMeasured !== undefined) return full.notMeasured
    if (base.notMeasured !== undefined) return base.notMeasured
    if (full.memory === undefined || base.memory === undefined) return 'no memory figures reported'
    const { storeBytes, storeBound } = full.memory
    // Below 90% of its bound the store was not filled, and RSS says nothing about the bound.
    if (storeBytes < 0.9 * storeBound) return `store not full (${storeBytes} of ${storeBound} bytes)`
    const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`
    const times = (bytes: number): string => `${(bytes / storeBound).toFixed(2)}×`
    const rss = full.memory.rssGrowth - base.memory.rssGrowth
    const live = full.memory.liveGrowth - base.memory.liveGrowth
    const judged = Math.max(rss, live)
    const overOneUrl =
      oneUrl?.memory === undefined
        ? ''
        : `; over the 1-URL server instead (${mb(oneUrl.memory.rssGrowth)}): ` +
          `${mb(full.memory.rssGrowth - oneUrl.memory.rssGrowth)} = ${times(full.memory.rssGrowth - oneUrl.memory.rssGrowth)}`
    return {
      measured: judged / storeBound,
      judgedBy: rss >= live ? 'RSS' : 'live memory',
      detail:
        `RSS growth ${mb(full.memory.rssGrowth)} at 100k keys − ${mb(base.memory.rssGrowth)} with a store keeping nothing = ` +
        `${mb(rss)} = ${times(rss)}; live heap + external ${mb(live)} = ${times(live)}; ` +
        `judged: the larger, over the bound ${mb(storeBound)} (store accounts ${mb(storeBytes)})${overOneUrl}`,
    }
  }
}

function targetList(results: readonly ScenarioResult[]): Target[] {
  const atLeast = (threshold: number) => (measured: number) => measured >= threshold
  const above = (threshold: number) => (measured: number) => measured > threshold
  return [
    {
      target: 'Koa hits ≥ 0.95× bare Koa prebuilt',
      measure: versus('cache-hits-koa3', 'brisk-memory', ['prebuilt']),
      met: atLeast(0.95),
    },
    {
      target: 'Koa hits ≥ 2× koa-cash',
      measure: versus('cache-hits-koa3', 'brisk-memory', ['koa-cash']),
      met: atLeast(2),
    },
    {
      target: 'Express 5 middleware-mode hits ≥ 0.95× the Express middleware ceiling',
      measure: versus('cache-hits-express5', 'brisk-memory', ['ceiling']),
      met: atLeast(0.95),
    },
    {
      // The ceiling above sends two header fields, a hit five: this one writes the same bytes,
      // so the ratio is brisk's own cost, as the front-mode targets' raw listener measures it.
      target:
        "Express 5 middleware-mode hits ≥ 0.95× the Express middleware ceiling writing the same bytes (a hit's five header fields)",
      measure: versus('cache-hits-express5', 'brisk-memory', ['ceiling-hit']),
      met: atLeast(0.95),
    },
    {
      target: 'Express 4 middleware-mode hits ≥ 0.95× the Express middleware ceiling',
      measure: versus('cache-hits-express4', 'brisk-memory', ['ceiling']),
      met: atLeast(0.95),
    },
    {
      // The ceiling above sends two header fields, a hit five: this one writes the same bytes,
      // so the ratio is brisk's own cost, as the front-mode targets' raw listener measures it.
      target:
        "Express 4 middleware-mode hits ≥ 0.95× the Express middleware ceiling writing the same bytes (a hit's five header fields)",
      measure: versus('cache-hits-express4', 'brisk-memory', ['ceiling-hit']),
      met: atLeast(0.95),
    },
    {
      target: "Full stack with br ≥ 10× the peers' stack on Koa",
      measure: versus('stack-koa3', 'brisk', ['peers']),
      met: atLeast(10),
    },
    {
      target: "Full stack with br ≥ 5× the peers' stack in Express middleware mode",
      measure: versus('stack-express5', 'brisk', ['peers']),
      met: atLeast(5),
    },
    {
      target: 'Express 5 front-mode hits ≥ 2.5× apicache hits',
      measure: versus('cache-hits-express5', 'brisk-front', ['apicache']),
      met: atLeast(2.5),
    },
    {
      target: 'Express 4 front-mode hits ≥ 2.5× apicache hits',
      measure: versus('cache-hits-express4', 'brisk-front', ['apicache']),
      met: atLeast(2.5),
    },
    {
      target:
        "Express 5 front-mode hits ≥ 0.9× raw node:http writing the same bytes (a hit's five header fields)",
      measure: versus('cache-hits-express5', 'brisk-front', ['node-raw-hit']),
      met: atLeast(0.9),
    },
    {
      target:
        "Express 4 front-mode hits ≥ 0.9× raw node:http writing the same bytes (a hit's five header fields)",
      measure: versus('cache-hits-express4', 'brisk-front', ['node-raw-hit']),
      met: atLeast(0.9),
    },
    {
      target: "Koa front-mode hits ≥ 0.9× raw node:http writing the same bytes (a hit's five header fields)",
      measure: versus('cache-hits-koa3', 'brisk-front', ['node-raw-hit']),
      met: atLeast(0.9),
    },
    {
      target: "Full stack with br in front mode ≥ 10× the peers' stack (Koa)",
      measure: versus('stack-koa3', 'brisk-front', ['peers']),
      met: atLeast(10),
    },
    {
      target: "Full stack with br in front mode ≥ 10× the peers' stack (Express 5)",
      measure: versus('stack-express5', 'brisk-front', ['peers']),
      met: atLeast(10),
    },
    // Overhead < x means the limited route keeps more than (1 - x) of the bare route's rate.
    {
      target: 'Limiter overhead < 5%, memory (Koa): ratio > 0.95',
      measure: versus('ratelimit-koa3', 'brisk-memory', ['none']),
      met: above(0.95),
    },
    {
      target: 'Limiter overhead < 5%, memory (Express 5): ratio > 0.95',
      measure: versus('ratelimit-express5', 'brisk-memory', ['none']),
      met: above(0.95),
    },
    {
      target: 'Limiter overhead < 15%, Redis (Koa): ratio > 0.85',
      measure: versus('ratelimit-koa3', 'brisk-redis', ['none']),
      met: above(0.85),
    },
    {
      target: 'Limiter overhead < 15%, Redis (Express 5): ratio > 0.85',
      measure: versus('ratelimit-express5', 'brisk-redis', ['none']),
      met: above(0.85),
    },
    {
      target: 'Memory store RSS ≤ 1.2× its byte bound at 100k keys',
      measure: rssRatio(results),
      met: (measured) => measured <= 1.2,
    },
    {
      target: 'Data-cache memory hits ≥ the faster of bentocache and cache-manager',
      measure: versus('data-cache', 'brisk-memory', ['bentocache-memory', 'cache-manager-memory']),
      met: atLeast(1),
    },
    {
      target: 'Data-cache tiered hits above both bentocache and cache-manager',
      measure: versus('data-cache', 'brisk-tiered', ['bentocache-tiered', 'cache-manager-tiered']),
      met: above(1),
    },
  ]
}

/** Every target with its measured ratio and "met" / "missed" / "not measured: why". */
export function evaluateTargets(results: readonly ScenarioResult[]): TargetResult[] {
  const find = finder(results)
  return targetList(results).map(({ target, measure, met }) => {
    const outcome = measure(find)
    if (typeof outcome === 'string')
      return { target, measured: undefined, verdict: `not measured: ${outcome}`, detail: '' }
    return { target, ...outcome, verdict: met(outcome.measured) ? 'met' : 'missed' }
  })
}
