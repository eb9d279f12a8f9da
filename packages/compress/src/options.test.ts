import { describe, expect, it } from 'vitest'
import { BriskOptionError, type BriskMetrics } from '@brisk/core'
import { SUPPORTED_CODINGS } from './codings.js'
import { DEFAULT_LEVELS, DEFAULT_STORE_LEVELS, resolveOptions, type CompressOptions } from './options.js'

describe('resolveOptions', () => {
  it('fills in the measured defaults', () => {
    const settings = resolveOptions({})
    expect(settings.threshold).toBe(1024)
    expect(settings.syncBelow).toBe(16 * 1024)
    expect(settings.encodings).toEqual(SUPPORTED_CODINGS)
    expect(settings.level).toEqual(DEFAULT_LEVELS)
    expect(settings.storeLevel).toEqual(DEFAULT_STORE_LEVELS)
    expect(settings.notAcceptable).toBe('reject')
  })

  it('uses compressible for the default filter', () => {
    const { filter } = resolveOptions({})
    expect(filter('text/html')).toBe(true)
    expect(filter('application/json')).toBe(true)
    expect(filter('image/svg+xml')).toBe(true)
    expect(filter('image/png')).toBe(false)
    expect(filter('application/zip')).toBe(false)
    expect(filter('font/woff2')).toBe(false) // unknown to the database
  })

  it('accepts sizes as strings and partial levels', () => {
    const settings = resolveOptions({ threshold: '2 KB', level: { gzip: 1 }, storeLevel: { br: 9 } })
    expect(settings.threshold).toBe(2048)
    expect(settings.level).toEqual({ ...DEFAULT_LEVELS, gzip: 1 })
    expect(settings.storeLevel).toEqual({ ...DEFAULT_STORE_LEVELS, br: 9 })
  })

  it('keeps the order of the encodings given and drops duplicates', () => {
    expect(resolveOptions({ encodings: ['gzip', 'br', 'gzip'] }).encodings).toEqual(['gzip', 'br'])
  })

  it('drops zstd where the runtime cannot produce it instead of failing', () => {
    const encodings = resolveOptions({ encodings: ['zstd', 'gzip'] }).encodings
    expect(encodings).toEqual(SUPPORTED_CODINGS.includes('zstd') ? ['zstd', 'gzip'] : ['gzip'])
  })

  it.each<[string, CompressOptions, string]>([
    ['a negative threshold', { threshold: -1 }, 'compress threshold'],
    ['a threshold with an unknown unit', { threshold: '1 parsec' }, 'compress threshold'],
    ['an unknown coding', { encodings: ['lzma' as 'gzip'] }, 'compress encodings'],
    ['an empty encodings list', { encodings: [] }, 'compress encodings'],
    ['a filter that is not a function', { filter: 'text/*' as unknown as () => boolean }, 'compress filter'],
    ['a brotli quality of 12', { level: { br: 12 } }, 'compress level.br'],
    ['a fractional gzip level', { storeLevel: { gzip: 6.5 } }, 'compress storeLevel.gzip'],
    ['a level for an unknown coding', { level: { lzma: 1 } as unknown as { br: number } }, 'compress level'],
    ['a notAcceptable of 415', { notAcceptable: '415' as 'reject' }, 'compress notAcceptable'],
    ['metrics that are not BriskMetrics', { metrics: {} as BriskMetrics }, 'compress metrics'],
    ['a syncBelow of NaN', { syncBelow: Number.NaN }, 'compress syncBelow'],
  ])('rejects %s with a BriskOptionError naming the option', (_name, options, option) => {
    let caught: unknown
    try {
      resolveOptions(options)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(BriskOptionError)
    expect((caught as BriskOptionError).option).toBe(option)
    expect((caught as Error).message).toMatch(/Expected/)
  })
})
