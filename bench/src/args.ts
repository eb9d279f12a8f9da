/** The command line of `npm run bench`. */
export interface BenchArgs {
  /** The ~2-minute subset with short runs (each round starts its servers afresh). */
  quick: boolean
  /** Run only these scenarios (by name); empty: all (or the quick subset). */
  only: string[]
  /** Keep only these variants (by id) in every selected scenario, plus its reference; empty: all. */
  variants: string[]
  /** Seconds of each measured run. */
  duration: number
  /** Seconds of warm-up per variant before each measured round (once for a scenario kept in one process). */
  warmup: number
  /**
   * Responses each warm-up reaches at least: after `warmup` seconds it goes on, at the rate it
   * measured, until the server has answered this many (an Express server answers ~30 000 in
   * 3 s, and V8 still recompiles Node's HTTP code through the first ~40 000). 0: seconds only.
   */
  warmupRequests: number
  /** Measured rounds; each round runs every variant once, interleaved (A B A B …). */
  repeats: number
  /** Concurrent connections autocannon keeps open. */
  connections: number
  /** Print the scenario list and exit. */
  list: boolean
  /** Where latest.json / latest.md / latest.svg go. */
  outDir: string | undefined
}

export const FULL_DEFAULTS = {
  duration: 10,
  warmup: 3,
  warmupRequests: 60_000,
  repeats: 5,
  connections: 50,
} as const
export const QUICK_DEFAULTS = {
  duration: 2,
  warmup: 1,
  warmupRequests: 0,
  repeats: 3,
  connections: 50,
} as const

/** The longest a warm-up is lengthened to reach `warmupRequests`, so a slow variant stays bounded. */
export const MAX_WARMUP_SECONDS = 20

export class BenchArgsError extends Error {
  override name = 'BenchArgsError'
}

const USAGE =
  'usage: npm run bench -- [--quick] [--only <scenario>]... [--variants <id>]... [--duration <s>] [--warmup <s>] ' +
  '[--warmup-requests <n>] [--repeats <n>] [--connections <n>] [--out <dir>] [--list]'

/** Parses the arguments after `npm run bench --`; throws a BenchArgsError with the usage on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let quick = false
  let list = false
  let outDir: string | undefined
  const only: string[] = []
  const variants: string[] = []
  const numbers: Partial<
    Record<'duration' | 'warmup' | 'warmup-requests' | 'repeats' | 'connections', number>
  > = {}
  const limits = {
    duration: [1, 600],
    warmup: [0, 120],
    'warmup-requests': [0, 10_000_000],
    repeats: [3, 50],
    connections: [1, 1000],
  } as const
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined]
    const value = (): string => {
      const next = inline ?? argv[++i]
      if (next === undefined || next === '') throw new BenchArgsError(`${flag} needs a value\n${USAGE}`)
      return next
    }
    /** A comma-separated value, as the names in it. */
    const names = (): string[] =>
      value()
        .split(',')
        .filter((name) => name !== '')
    switch (flag) {
      case '--quick':
        quick = true
        break
      case '--list':
        list = true
        break
      case '--only':
        only.push(...names())
        break
      case '--variants':
        variants.push(...names())
        break
      case '--out':
        outDir = value()
        break
      case '--duration':
      case '--warmup':
      case '--warmup-requests':
      case '--repeats':
      case '--connections': {
        const name = flag.slice(2) as keyof typeof limits
        const raw = value()
        const parsed = Number(raw)
        const [min, max] = limits[name]
        if (!/^\d+$/.test(raw) || parsed < min || parsed > max) {
          throw new BenchArgsError(`${flag} ${raw}: expected a whole number from ${min} to ${max}\n${USAGE}`)
        }
        numbers[name] = parsed
        break
      }
      default:
        throw new BenchArgsError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`)
    }
  }
  const defaults = quick ? QUICK_DEFAULTS : FULL_DEFAULTS
  return {
    quick,
    only,
    variants,
    list,
    outDir,
    duration: numbers.duration ?? defaults.duration,
    warmup: numbers.warmup ?? defaults.warmup,
    warmupRequests: numbers['warmup-requests'] ?? defaults.warmupRequests,
    repeats: numbers.repeats ?? defaults.repeats,
    connections: numbers.connections ?? defaults.connections,
  }
}

/**
 * Seconds to add to a warm-up of `args.warmup` seconds that got `responses` answers, so that it
 * reaches `args.warmupRequests` at the rate it ran (rounded up; MAX_WARMUP_SECONDS in all at most).
 */
export function extraWarmUpSeconds(
  args: Pick<BenchArgs, 'warmup' | 'warmupRequests'>,
  responses: number,
): number {
  const missing = args.warmupRequests - responses
  if (missing <= 0 || responses <= 0 || args.warmup <= 0) return 0
  return Math.max(
    0,
    Math.min(MAX_WARMUP_SECONDS - args.warmup, Math.ceil((missing * args.warmup) / responses)),
  )
}
