import { describe, expect, it } from 'vitest'
import { evaluateTargets } from '../../bench/src/targets.js'
import { measured, scenario } from './fixtures.js'

function verdictOf(target: string, results: Parameters<typeof evaluateTargets>[0]) {
  const found = evaluateTargets(results).find((t) => t.target === target)
  if (found === undefined) throw new Error(`no target ${target}`)
  return found
}

const KOA_VS_BARE = 'Koa hits ≥ 0.95× bare Koa prebuilt'
const KOA_VS_CASH = 'Koa hits ≥ 2× koa-cash'
const MEMORY_DATA = 'Data-cache memory hits ≥ the faster of bentocache and cache-manager'
const TIERED_DATA = 'Data-cache tiered hits above both bentocache and cache-manager'
const LIMITER = 'Limiter overhead < 5%, memory (Koa): ratio > 0.95'
const RSS = 'Memory store RSS ≤ 1.2× its byte bound at 100k keys'

describe('evaluateTargets', () => {
  it('lists every target, not measured when nothing ran', () => {
    const targets = evaluateTargets([])
    expect(targets).toHaveLength(22)
    for (const target of targets) {
      expect(target.measured).toBeUndefined()
      expect(target.verdict).toMatch(/^not measured: /)
    }
  })

  it.each([
    [9500, 'met'],
    [9499, 'missed'],
  ])('compares Koa hits at %d req/s with bare Koa at 10000: %s', (hits, verdict) => {
    const results = [
      scenario('cache-hits-koa3', 'prebuilt', [measured('prebuilt', 10_000), measured('brisk-memory', hits)]),
    ]
    expect(verdictOf(KOA_VS_BARE, results)).toMatchObject({ measured: hits / 10_000, verdict })
  })

  it("judges Express 4 hits against the ceiling writing a hit's bytes, beside the two-field one", () => {
    const results = [
      scenario('cache-hits-express4', 'ceiling', [
        measured('ceiling', 10_000),
        measured('ceiling-hit', 9000),
        measured('brisk-memory', 8600),
      ]),
    ]
    const twoFields = 'Express 4 middleware-mode hits ≥ 0.95× the Express middleware ceiling'
    expect(verdictOf(twoFields, results)).toMatchObject({ measured: 0.86, verdict: 'missed' })
    expect(
      verdictOf(`${twoFields} writing the same bytes (a hit's five header fields)`, results),
    ).toMatchObject({
      measured: 8600 / 9000,
      verdict: 'met',
    })
  })

  it('says which variants the ratio came from', () => {
    const results = [
      scenario('cache-hits-koa3', 'prebuilt', [measured('koa-cash', 4000), measured('brisk-memory', 12_000)]),
    ]
    expect(verdictOf(KOA_VS_CASH, results)).toEqual({
      target: KOA_VS_CASH,
      measured: 3,
      verdict: 'met',
      detail: 'brisk-memory 12000 / koa-cash 4000 (cache-hits-koa3)',
      judgedBy: 'req/s',
      throughputRatio: 3,
    })
  })

  it('divides by the faster of several peers', () => {
    const results = [
      scenario('data-cache', 'brisk-memory', [
        measured('brisk-memory', 900_000),
        measured('bentocache-memory', 1_000_000),
        measured('cache-manager-memory', 300_000),
      ]),
    ]
    expect(verdictOf(MEMORY_DATA, results)).toMatchObject({ measured: 0.9, verdict: 'missed' })
  })

  it('asks the tiered data cache to be strictly above both peers', () => {
    const results = [
      scenario('data-cache', 'brisk-memory', [
        measured('brisk-tiered', 500),
        measured('bentocache-tiered', 500),
        measured('cache-manager-tiered', 100),
      ]),
    ]
    expect(verdictOf(TIERED_DATA, results).verdict).toBe('missed')
  })

  it('reads limiter overhead as the share of throughput lost', () => {
    const results = [
      scenario('ratelimit-koa3', 'none', [measured('none', 10_000), measured('brisk-memory', 9600)]),
    ]
    expect(verdictOf(LIMITER, results)).toMatchObject({ measured: 0.96, verdict: 'met' })
  })

  it('does not judge from a variant whose runs had problems', () => {
    const results = [
      scenario('cache-hits-koa3', 'prebuilt', [
        measured('prebuilt', 10_000),
        measured('brisk-memory', 20_000, { problems: ['12× status 500 (expected 200)'] }),
      ]),
    ]
    expect(verdictOf(KOA_VS_BARE, results).verdict).toBe(
      'not measured: cache-hits-koa3/brisk-memory invalid: 12× status 500 (expected 200)',
    )
  })

  it('passes on why a variant was not measured', () => {
    const results = [
      scenario('cache-hits-koa3', 'prebuilt', [
        measured('prebuilt', 10_000),
        { id: 'brisk-memory', label: 'x', rounds: [], problems: [], notMeasured: 'Redis not reachable' },
      ]),
    ]
    expect(verdictOf(KOA_VS_BARE, results).verdict).toBe(
      'not measured: cache-hits-koa3/brisk-memory: Redis not reachable',
    )
  })

  it('judges the store by the RSS it adds over the same load with a store keeping nothing, once full', () => {
    const bound = 64 * 1048576
    const scale = (storeBytes: number, rssGrowth: number) => [
      scenario('scale-koa3', 'keys-1', [
        // The 1-key server is the throughput reference, not the memory baseline.
        measured('keys-1', 1000, {
          memory: { rssGrowth: 0, liveGrowth: 0, storeBytes: 50_000, storeBound: bound },
        }),
        measured('keys-100k-nostore', 1000, {
          memory: { rssGrowth: 0.25 * bound, liveGrowth: 0.01 * bound, storeBytes: 0, storeBound: 1024 },
        }),
        measured('keys-100k', 1000, {
          memory: { rssGrowth, liveGrowth: 1.01 * bound, storeBytes, storeBound: bound },
        }),
      ]),
    ]
    expect(verdictOf(RSS, scale(bound, 1.35 * bound))).toMatchObject({
      measured: 1.1,
      verdict: 'met',
      judgedBy: 'RSS',
    })
    expect(verdictOf(RSS, scale(bound, 1.5 * bound))).toMatchObject({ measured: 1.25, verdict: 'missed' })
    expect(verdictOf(RSS, scale(bound, 1.5 * bound)).detail).toContain(
      'RSS growth 96.0 MB at 100k keys − 16.0 MB with a store keeping nothing = 80.0 MB = 1.25×; ' +
        'live heap + external 64.0 MB = 1.00×',
    )
    expect(verdictOf(RSS, scale(bound, 1.5 * bound)).detail).toContain(
      'over the 1-URL server instead (0.0 MB): 96.0 MB = 1.50×',
    )
    // RSS growth below what the store keeps alive (it reused memory the baseline's allocator
    // held): the live figure is judged, a store cannot cost less than its live bytes.
    expect(verdictOf(RSS, scale(bound, 0.5 * bound))).toMatchObject({
      measured: 1,
      verdict: 'met',
      judgedBy: 'live memory',
    })
    expect(verdictOf(RSS, scale(bound / 2, bound)).verdict).toBe(
      `not measured: store not full (${bound / 2} of ${bound} bytes)`,
    )
  })

  it('does not judge RSS without the baseline that keeps nothing', () => {
    const bound = 1048576
    const memory = { rssGrowth: bound, liveGrowth: bound, storeBytes: bound, storeBound: bound }
    const results = [
      scenario('scale-koa3', 'keys-1', [
        measured('keys-1', 1000, { memory }),
        measured('keys-100k', 1000, { memory }),
      ]),
    ]
    expect(verdictOf(RSS, results).verdict).toBe(
      'not measured: scale-koa3 keys-100k and keys-100k-nostore not both run',
    )
  })

  describe("throughput targets with the servers' CPU", () => {
    const cpu = (perResponse: number, server: number, load = 0.99) => ({
      cpu: { perResponse, server, load, rounds: [] },
    })
    const koa = (prebuilt: object, memory: object) => [
      scenario('cache-hits-koa3', 'prebuilt', [
        measured('prebuilt', 10_000, prebuilt),
        measured('brisk-memory', 9000, memory),
      ]),
    ]

    it('keeps the req/s verdict when both servers were saturated', () => {
      const found = verdictOf(KOA_VS_BARE, koa(cpu(95, 0.95), cpu(50, 0.92)))
      expect(found).toMatchObject({
        measured: 0.9,
        verdict: 'missed',
        judgedBy: 'req/s',
        throughputRatio: 0.9,
        capacityRatio: 1.9,
        serverCpu: { variant: 0.92, reference: 0.95 },
      })
      expect(found.detail).toContain('both servers saturated: judged by req/s')
    })

    it('judges by CPU per response when a server was not saturated, and says which', () => {
      // The variant serves 0.9x the reference's req/s, but its server idled 40% of the time
      // while autocannon ran flat out: each response cost it half the CPU.
      const found = verdictOf(KOA_VS_BARE, koa(cpu(100, 0.99), cpu(50, 0.6)))
      expect(found).toMatchObject({
        measured: 2,
        verdict: 'met',
        judgedBy: 'CPU per response',
        throughputRatio: 0.9,
        capacityRatio: 2,
      })
      expect(found.detail).toContain('brisk-memory below 90% CPU: judged by CPU per response')
      expect(found.detail).toContain('CPU/response prebuilt 100.0 µs / brisk-memory 50.0 µs = 2.00×')
    })

    it('misses by CPU per response when the variant costs more CPU, whatever its req/s', () => {
      const found = verdictOf(KOA_VS_BARE, koa(cpu(40, 0.7), cpu(50, 0.8)))
      expect(found).toMatchObject({ measured: 0.8, verdict: 'missed', judgedBy: 'CPU per response' })
      expect(found.detail).toContain('brisk-memory and prebuilt below 90% CPU')
    })

    it("warns when other processes took a share of a server's core", () => {
      const busy = { cpu: { perResponse: 100, server: 0.7, load: 0.5, otherOnServerCore: 0.25, rounds: [] } }
      const found = verdictOf(KOA_VS_BARE, koa(busy, cpu(50, 0.6)))
      expect(found.detail).toContain("⚠ others on the server's core: prebuilt 25%")
      expect(verdictOf(KOA_VS_BARE, koa(cpu(100, 0.7), cpu(50, 0.6))).detail).not.toContain('⚠')
    })

    it('treats 90% as saturated', () => {
      expect(verdictOf(KOA_VS_BARE, koa(cpu(100, 0.9), cpu(50, 0.9))).judgedBy).toBe('req/s')
      expect(verdictOf(KOA_VS_BARE, koa(cpu(100, 0.9), cpu(50, 0.899))).judgedBy).toBe('CPU per response')
    })

    it('judges by req/s when the CPU was not measured', () => {
      const found = verdictOf(KOA_VS_BARE, koa({}, cpu(50, 0.5)))
      expect(found).toMatchObject({ measured: 0.9, judgedBy: 'req/s' })
      expect(found.capacityRatio).toBeUndefined()
    })
  })
})
