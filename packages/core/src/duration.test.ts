import { describe, expect, it } from 'vitest'
import { parseDuration, parseTimerDuration } from './duration.js'
import { parseSize } from './size.js'

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['5 minutes', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['2w', 1_209_600_000],
    ['  10s ', 10_000],
    ['42', 42],
    ['1S', 1000],
  ])('reads %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected)
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '', 'soon', '5 parsecs', '-5s', '1e400s', '5s5m'])(
    'refuses %j with a message naming the option',
    (input) => {
      expect(() => parseDuration(input as number, 'ttl')).toThrow(/invalid option ttl/)
    },
  )

  it('refuses values that are not numbers or strings', () => {
    expect(() => parseDuration({} as unknown as number, 'window')).toThrow(/window: a object/)
  })

  it('takes up to 10 years, and refuses more: stores and arithmetic have no room beyond', () => {
    expect(parseDuration('3650d', 'ttl')).toBe(315_360_000_000)
    expect(() => parseDuration('3651d', 'ttl')).toThrow(/ttl.*10 years/)
    expect(() => parseDuration(1e20, 'ttl')).toThrow(/ttl.*10 years/)
  })
})

describe('parseTimerDuration', () => {
  it('takes what a Node timer keeps, and refuses longer, which would fire at once', () => {
    expect(parseTimerDuration('24d', 'timeout')).toBe(2_073_600_000)
    expect(() => parseTimerDuration('25d', 'timeout')).toThrow(/timeout.*24 days/)
  })
})

describe('parseSize', () => {
  it.each([
    [0, 0],
    [1024, 1024],
    ['512', 512],
    ['512 B', 512],
    ['1 KB', 1024],
    ['1kb', 1024],
    ['64 MB', 64 * 1024 * 1024],
    ['64MiB', 64 * 1024 * 1024],
    ['1.5 GB', 1.5 * 1024 ** 3],
  ])('reads %j as %d bytes', (input, expected) => {
    expect(parseSize(input)).toBe(expected)
  })

  it.each([-5, Number.NaN, 'big', '64 XB', '', '1e999 GB'])('refuses %j', (input) => {
    expect(() => parseSize(input as number, 'maxSize')).toThrow(/invalid option maxSize/)
  })
})
