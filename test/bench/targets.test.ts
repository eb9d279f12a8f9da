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
    expect(targets).toHaveLength(20)
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

  it('says which variants the ratio came from', () => {
    const results = [
      scenario('cache-hits-koa3', 'prebuilt', [measured('koa-cash', 4000), measured('brisk-memory', 12_000)]),
    ]
    expect(verdictOf(KOA_VS_CASH, results)).toEqual({
      target: KOA_VS_CASH,
      measured: 3,
      verdict: 'met',
      detail: 'brisk-memory 12000 / koa-cash 4000 (cache-hits-koa3)',
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

  it('judges the store by the RSS it adds over the 1-key server, only once the store is full', () => {
    const bound = 64 * 1048576
    const scale = (storeBytes: number, rssGrowth: number) => [
      scenario('scale-koa3', 'keys-1', [
        measured('keys-1', 1000, {
          memory: { rssGrowth: 0.25 * bound, storeBytes: 50_000, storeBound: bound },
        }),
        measured('keys-100k', 1000, { memory: { rssGrowth, storeBytes, storeBound: bound } }),
      ]),
    ]
    expect(verdictOf(RSS, scale(bound, 1.35 * bound))).toMatchObject({ measured: 1.1, verdict: 'met' })
    expect(verdictOf(RSS, scale(bound, 1.5 * bound))).toMatchObject({ measured: 1.25, verdict: 'missed' })
    expect(verdictOf(RSS, scale(bound / 2, bound)).verdict).toBe(
      `not measured: store not full (${bound / 2} of ${bound} bytes)`,
    )
  })

  it('does not judge RSS without the 1-key baseline', () => {
    const bound = 1048576
    const results = [
      scenario('scale-koa3', 'keys-1', [
        measured('keys-100k', 1000, { memory: { rssGrowth: bound, storeBytes: bound, storeBound: bound } }),
      ]),
    ]
    expect(verdictOf(RSS, results).verdict).toBe('not measured: scale-koa3 keys-100k and keys-1 not both run')
  })
})
