import { describe, expect, it } from 'vitest'
import {
  BenchArgsError,
  extraWarmUpSeconds,
  FULL_DEFAULTS,
  MAX_WARMUP_SECONDS,
  parseBenchArgs,
  QUICK_DEFAULTS,
} from '../../bench/src/args.js'

describe('parseBenchArgs', () => {
  it('uses the full defaults without arguments', () => {
    expect(parseBenchArgs([])).toEqual({
      quick: false,
      only: [],
      variants: [],
      list: false,
      outDir: undefined,
      ...FULL_DEFAULTS,
    })
  })

  it('uses the short defaults with --quick', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ quick: true, ...QUICK_DEFAULTS })
  })

  it('collects --only given several times, comma lists and the --flag=value form', () => {
    expect(parseBenchArgs(['--only', 'a', '--only=b,c']).only).toEqual(['a', 'b', 'c'])
  })

  it('collects --variants like --only', () => {
    expect(parseBenchArgs(['--variants', 'a,b', '--variants=c']).variants).toEqual(['a', 'b', 'c'])
  })

  it('lets explicit numbers override the quick defaults', () => {
    expect(parseBenchArgs(['--quick', '--duration', '3', '--repeats=4', '--warmup', '0'])).toMatchObject({
      duration: 3,
      repeats: 4,
      warmup: 0,
    })
  })

  it('reads --warmup-requests, 0 turning the lengthening off', () => {
    expect(parseBenchArgs(['--warmup-requests', '100000']).warmupRequests).toBe(100_000)
    expect(parseBenchArgs(['--warmup-requests=0']).warmupRequests).toBe(0)
    expect(parseBenchArgs(['--quick']).warmupRequests).toBe(0)
  })

  it.each([
    [['--warmup-requests', '-1'], '--warmup-requests -1: expected a whole number'],
    [['--fast'], 'unknown argument "--fast"'],
    [['--only'], '--only needs a value'],
    [['--only='], '--only needs a value'],
    [['--variants'], '--variants needs a value'],
    [['--duration', 'ten'], '--duration ten: expected a whole number from 1 to 600'],
    [['--duration', '0'], '--duration 0'],
    [['--repeats', '2'], '--repeats 2: expected a whole number from 3 to 50'],
    [['--connections', '1.5'], '--connections 1.5'],
    [['quick'], 'unknown argument "quick"'],
  ])('rejects %j with a message naming the problem', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(BenchArgsError)
    expect(() => parseBenchArgs(argv)).toThrow(message)
  })
})

describe('extraWarmUpSeconds', () => {
  const args = { warmup: 3, warmupRequests: 60_000 }

  it('adds nothing once the warm-up reached its count', () => {
    expect(extraWarmUpSeconds(args, 60_000)).toBe(0)
    expect(extraWarmUpSeconds(args, 150_000)).toBe(0)
  })

  it('adds what the measured rate needs for the rest, rounded up', () => {
    // 30 000 in 3 s: 10 000/s, so 30 000 more take 3 s; 25 000 in 3 s take 5 s (4.2 rounded up).
    expect(extraWarmUpSeconds(args, 30_000)).toBe(3)
    expect(extraWarmUpSeconds(args, 25_000)).toBe(5)
  })

  it('stops at the bound however slow the server', () => {
    expect(extraWarmUpSeconds(args, 100)).toBe(MAX_WARMUP_SECONDS - 3)
    expect(extraWarmUpSeconds({ warmup: MAX_WARMUP_SECONDS, warmupRequests: 60_000 }, 100)).toBe(0)
    expect(extraWarmUpSeconds({ warmup: 30, warmupRequests: 60_000 }, 100)).toBe(0)
  })

  it('adds nothing without a count, a warm-up or a single response to measure a rate by', () => {
    expect(extraWarmUpSeconds({ warmup: 3, warmupRequests: 0 }, 10)).toBe(0)
    expect(extraWarmUpSeconds({ warmup: 0, warmupRequests: 60_000 }, 30_000)).toBe(0)
    expect(extraWarmUpSeconds(args, 0)).toBe(0)
  })
})
