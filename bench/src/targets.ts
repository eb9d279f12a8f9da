import type { ScenarioResult, TargetResult } from './results.js'

/** A ratio the project promises, computed from the results of one run. */
interface Target {
  target: string
  /** Returns [measured ratio, how it was computed] or a reason it cannot be. */
  measure(find: Finder): [number, string] | string
  /** True when the measured ratio meets the target. */
  met(measured: number): boolean
}

type Finder = (scenario: string, variant: string) => number | string

/** A finder over results: the variant's median, or why it is missing. */
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
    return variant.perSecond ?? `${scenarioName}/${variantId} has no number`
  }
}

/** Ratio of two variants' medians, with `max` over several denominators ("the faster of"). */
function versus(scenario: string, numerator: string, denominators: readonly string[]) {
  return (find: Finder): [number, string] | string => {
    const top = find(scenario, numerator)
    if (typeof top === 'string') return top
    let best: [string, number] | undefined
    for (const id of denominators) {
      const value = find(scenario, id)
      if (typeof value === 'string') return value
      if (best === undefined || value > best[1]) best = [id, value]
    }
    const [id, value] = best!
    return [top / value, `${numerator} ${round(top)} / ${id} ${round(value)} (${scenario})`]
  }
}

function round(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value.toFixed(2)
}

/**
 * The memory store's share of RSS: RSS growth of the 100k-key server minus that of the 1-key
 * server (same app, same load, same run, a store holding one page), over the store's bound.
 * The 1-key server's growth is what the framework, JIT and sockets take anyway.
 */
function rssRatio(results: readonly ScenarioResult[]) {
  return (): [number, string] | string => {
    const scale = results.find((s) => s.name === 'scale-koa3')
    const full = scale?.variants.find((v) => v.id === 'keys-100k')
    const base = scale?.variants.find((v) => v.id === 'keys-1')
    if (full === undefined || base === undefined) return 'scale-koa3 keys-100k and keys-1 not both run'
    if (full.notMeasured !== undefined) return full.notMeasured
    if (base.notMeasured !== undefined) return base.notMeasured
    if (full.memory === undefined || base.memory === undefined) return 'no memory figures reported'
    const { storeBytes, storeBound } = full.memory
    // Below 90% of its bound the store was not filled, and RSS says nothing about the bound.
    if (storeBytes < 0.9 * storeBound) return `store not full (${storeBytes} of ${storeBound} bytes)`
    const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`
    const growth = full.memory.rssGrowth - base.memory.rssGrowth
    return [
      growth / storeBound,
      `RSS growth ${mb(full.memory.rssGrowth)} at 100k keys − ${mb(base.memory.rssGrowth)} at 1 key = ` +
        `${mb(growth)} / bound ${mb(storeBound)} (store accounts ${mb(storeBytes)})`,
    ]
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
      target: 'Express 4 middleware-mode hits ≥ 0.95× the Express middleware ceiling',
      measure: versus('cache-hits-express4', 'brisk-memory', ['ceiling']),
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
      target: 'Express 5 front-mode hits ≥ 0.9× raw node:http writing the same bytes',
      measure: versus('cache-hits-express5', 'brisk-front', ['node-raw']),
      met: atLeast(0.9),
    },
    {
      target: 'Express 4 front-mode hits ≥ 0.9× raw node:http writing the same bytes',
      measure: versus('cache-hits-express4', 'brisk-front', ['node-raw']),
      met: atLeast(0.9),
    },
    {
      target: 'Koa front-mode hits ≥ 0.9× raw node:http writing the same bytes',
      measure: versus('cache-hits-koa3', 'brisk-front', ['node-raw']),
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
    const [measured, detail] = outcome
    return { target, measured, verdict: met(measured) ? 'met' : 'missed', detail }
  })
}
