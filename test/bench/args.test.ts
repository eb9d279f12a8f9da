import { describe, expect, it } from 'vitest'
import { BenchArgsError, FULL_DEFAULTS, parseBenchArgs, QUICK_DEFAULTS } from '../../bench/src/args.js'

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

  it.each([
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
