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
 * Parses a duration option into milliseconds. Throws a {@link BriskOptionError} naming the
 * option when the value is not a finite, non-negative duration.
 */
export function parseDuration(value: Duration, option = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw new BriskOptionError(option, value, 'a non-negative number of milliseconds or a string like "30s"')
  }
  if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value.trim())
    if (match !== null) {
      const unit = (match[2] ?? '').toLowerCase()
      const factor = unit === '' ? 1 : DURATION_UNITS[unit]
      if (factor !== undefined) {
        const ms = Number(match[1]) * factor
        if (Number.isFinite(ms)) return Math.round(ms)
      }
    }
  }
  throw new BriskOptionError(
    option,
    value,
    'a non-negative number of milliseconds or a string with a unit: ms, s, m, h, d, w (e.g. "30s", "5m")',
  )
}

/** Like {@link parseDuration} but `undefined` stays `undefined` (an option left unset). */
export function parseOptionalDuration(value: Duration | undefined, option: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, option)
}
