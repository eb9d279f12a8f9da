import { describe, expect, it } from 'vitest'
import { hitRatio, median, ratio } from '../../bench/src/stats.js'

describe('median', () => {
  it.each([
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1000], 10],
    [[2.5, 0.5], 1.5],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected)
  })

  it('of an empty list is NaN', () => {
    expect(median([])).toBeNaN()
  })

  it('leaves its input unsorted', () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })
})

describe('ratio', () => {
  it.each([
    [50, 100, 0.5],
    [300, 100, 3],
    [0, 100, 0],
  ])('of %d to %d is %d', (value, reference, expected) => {
    expect(ratio(value, reference)).toBe(expected)
  })

  it.each([
    [undefined, 100],
    [100, undefined],
    [100, 0],
    [100, -1],
    [Number.NaN, 100],
    [100, Number.POSITIVE_INFINITY],
  ])('of %s to %s is undefined', (value, reference) => {
    expect(ratio(value, reference)).toBeUndefined()
  })
})

describe('hitRatio', () => {
  it('counts hits and stale answers over lookups between two snapshots', () => {
    const before = { 'cache.hit': 10, 'cache.miss': 5, 'cache.stale': 0 }
    const after = { 'cache.hit': 100, 'cache.miss': 15, 'cache.stale': 10 }
    expect(hitRatio(before, after)).toBe(100 / 110)
  })

  it('is undefined when the cache saw no lookup', () => {
    expect(hitRatio({ 'cache.hit': 3 }, { 'cache.hit': 3 })).toBeUndefined()
  })

  it('reads missing counters as zero', () => {
    expect(hitRatio({}, { 'cache.miss': 4 })).toBe(0)
  })
})
