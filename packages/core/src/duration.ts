import { BriskOptionError } from './options-error.js'

/** A duration: milliseconds as a number, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | string

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
}

const DURATION_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i

/**
 * The longest duration any option takes: 10 years. Longer ones overflow what stores accept
 * (Redis refuses a PX beyond its clock's range: every write would fail while the answer still
 * said "stored") and what the arithmetic keeps exact.
 */
export const MAX_DURATION_MS = 3650 * 86_400_000
/** The longest timer Node keeps: a longer `setTimeout` fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * Parses a duration option into milliseconds. Throws a {@link BriskOptionError} naming the
 * option when the value is not a finite, non-negative duration.
 */
export function parseDuration(value: Duration, option = 'duration'): number {
  const ms = durationMs(value)
  if (ms === undefined) {
    throw new BriskOptionError(
      option,
      value,
      'a non-negative number of milliseconds or a string with a unit: ms, s, m, h, d, w (e.g. "30s", "5m")',
    )
  }
  if (ms > MAX_DURATION_MS) throw new BriskOptionError(option, value, 'a duration up to 10 years (3650d)')
  return ms
}

/** Like {@link parseDuration}, for a duration that becomes a timer: at most ~24.8 days. */
export function parseTimerDuration(value: Duration, option: string): number {
  const ms = parseDuration(value, option)
  if (ms > MAX_TIMER_MS) {
    throw new BriskOptionError(option, value, 'a duration up to 24 days, the longest timer Node keeps')
  }
  return ms
}

function durationMs(value: Duration): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = DURATION_PATTERN.exec(value.trim())
  if (match === null) return undefined
  const unit = (match[2] ?? '').toLowerCase()
  const factor = unit === '' ? 1 : DURATION_UNITS[unit]
  if (factor === undefined) return undefined
  const ms = Number(match[1]) * factor
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

/** Like {@link parseDuration} but `undefined` stays `undefined` (an option left unset). */
export function parseOptionalDuration(value: Duration | undefined, option: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, option)
}
