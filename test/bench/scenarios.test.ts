import { describe, expect, it } from 'vitest'
import { MAX_WARMUP_SECONDS, QUICK_DEFAULTS, parseBenchArgs } from '../../bench/src/args.js'
import { estimateSeconds, warmupCount } from '../../bench/src/run.js'
import { allScenarios, keepVariants, selectScenarios, type HttpScenario } from '../../bench/src/scenarios.js'

const all = allScenarios()
const http = all.filter((scenario): scenario is HttpScenario => scenario.kind === 'http')

describe('the scenario list', () => {
  it('names every scenario once', () => {
    const names = all.map((scenario) => scenario.name)
    expect(new Set(names).size).toBe(names.length)
  })

  it.each(all.map((scenario) => [scenario.name, scenario] as const))(
    '%s has unique variant ids and a measured reference among them',
    (_name, scenario) => {
      const ids = scenario.variants.map((variant) => variant.id)
      expect(new Set(ids).size).toBe(ids.length)
      const reference = scenario.variants.find((variant) => variant.id === scenario.reference)
      expect(reference).toBeDefined()
      expect(reference && 'skip' in reference ? reference.skip : undefined).toBeUndefined()
    },
  )

  it('gives every HTTP variant either a server or the reason it is skipped', () => {
    for (const scenario of http) {
      for (const variant of scenario.variants)
        expect(variant.server !== undefined || variant.skip !== undefined).toBe(true)
    }
  })

  it('measures front mode in the cache-hit and full-stack scenarios, beside raw node:http for the hits', () => {
    const fronts = http.flatMap((scenario) =>
      scenario.variants.filter((variant) => variant.id === 'brisk-front').map(() => scenario.name),
    )
    expect(fronts).toEqual([
      'cache-hits-koa3',
      'cache-hits-express5',
      'cache-hits-express4',
      'stack-koa3',
      'stack-express5',
    ])
    for (const scenario of http) {
      for (const variant of scenario.variants.filter((v) => v.id === 'brisk-front')) {
        expect(variant.skip).toBeUndefined()
        expect(variant.server?.mount).toBe('front')
      }
      if (scenario.name.startsWith('cache-hits-')) {
        for (const id of ['node-raw', 'node-raw-hit']) {
          expect(scenario.variants.some((v) => v.id === id && v.server?.framework === 'node')).toBe(true)
        }
      }
    }
  })

  it('covers scenarios 1 to 9 of issue 13', () => {
    expect(new Set(all.map((scenario) => scenario.group.split(' ')[0]))).toEqual(
      new Set(['1', '2', '3', '4', '5', '6', '7', '8', '9']),
    )
  })

  it('expects 304 exactly where the load revalidates', () => {
    for (const scenario of http) {
      for (const variant of scenario.variants) {
        const shape = { ...scenario.load, ...variant.load }
        expect(shape.expectStatus).toBe(shape.revalidate === true ? 304 : 200)
      }
    }
  })
})

describe('selectScenarios', () => {
  it('runs everything by default', () => {
    expect(selectScenarios(all, [], false)).toHaveLength(all.length)
  })

  it('runs only the named scenarios, all their variants, even with --quick', () => {
    const picked = selectScenarios(all, ['cache-hits-koa3'], true)
    expect(picked.map((scenario) => scenario.name)).toEqual(['cache-hits-koa3'])
    expect(picked[0]!.variants).toHaveLength(all.find((s) => s.name === 'cache-hits-koa3')!.variants.length)
  })

  it('refuses an unknown name and lists the known ones', () => {
    expect(() => selectScenarios(all, ['cache-hit'], false)).toThrow(
      /unknown scenario cache-hit; known: ceilings, /,
    )
  })

  it('trims --quick to a subset whose load (start-ups aside) fits in 80 s', () => {
    const quick = selectScenarios(all, [], true)
    expect(quick.length).toBeGreaterThan(0)
    for (const scenario of quick) expect(scenario.variants.map((v) => v.id)).toEqual(scenario.quick)
    const seconds = estimateSeconds(quick, { ...parseBenchArgs(['--quick']), ...QUICK_DEFAULTS })
    expect(seconds.most).toBeLessThanOrEqual(80)
    expect(seconds.least).toBe(seconds.most)
  })

  it('bounds a full run by warm-ups of --warmup seconds and warm-ups lengthened to their limit', () => {
    const limits = http.find((scenario) => scenario.name === 'ratelimit-koa3')!
    const args = parseBenchArgs(['--duration', '5', '--repeats', '3'])
    const variants = limits.variants.filter((v) => v.skip === undefined).length
    expect(estimateSeconds([limits], args)).toEqual({
      least: variants * (3 * 3 + 3 * 5),
      most: variants * (3 * MAX_WARMUP_SECONDS + 3 * 5),
    })
    expect(estimateSeconds([limits], { ...args, warmupRequests: 0 })).toEqual({
      least: variants * (3 * 3 + 3 * 5),
      most: variants * (3 * 3 + 3 * 5),
    })
  })

  it('never lengthens the warm-up of a variant that warms up by time (the uncached blog)', () => {
    const blog = http.find((scenario) => scenario.name === 'blog-koa3')!
    const measured = blog.variants.filter((v) => v.skip === undefined).length
    expect(blog.variants.filter((v) => v.warmupByTime !== undefined).map((v) => v.id)).toEqual(['uncached'])
    const args = parseBenchArgs(['--duration', '5', '--repeats', '3'])
    expect(blog.variants.map((v) => warmupCount(v, args))).toEqual([0, 60_000, 60_000])
    expect(estimateSeconds([blog], args)).toEqual({
      least: measured * (3 * 3 + 3 * 5),
      most: measured * (3 * 3 + 3 * 5) + (measured - 1) * 3 * (MAX_WARMUP_SECONDS - 3),
    })
  })
})

describe('keepVariants', () => {
  const limits = selectScenarios(all, ['ratelimit-koa3', 'ratelimit-express5'], false)

  it('keeps every variant when none is named', () => {
    expect(keepVariants(limits, [])).toEqual(limits)
  })

  it('keeps the named variants and the reference of each scenario, in report order', () => {
    const kept = keepVariants(limits, ['static-fields', 'brisk-memory'])
    for (const scenario of kept) {
      expect(scenario.variants.map((v) => v.id)).toEqual(['none', 'brisk-memory', 'static-fields'])
    }
  })

  it('refuses an id no selected scenario has and lists the ids there are', () => {
    expect(() => keepVariants(limits, ['koa-cash'])).toThrow(/unknown variant koa-cash; known here: none, /)
  })
})
