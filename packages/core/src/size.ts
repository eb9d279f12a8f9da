import { BriskOptionError } from './options-error.js'

/** A size: bytes as a number, or a string such as `'512 B'`, `'1 KB'`, `'64 MB'`, `'1 GB'`. */
export type Size = number | string

// Binary multiples, as the jshttp `bytes` package and most Node tooling read "MB".
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  k: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  g: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
}

const SIZE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i

/**
 * Parses a size option into bytes (KB = 1024 bytes). Throws a {@link BriskOptionError}
 * naming the option when the value is not a finite, non-negative size.
 */
export function parseSize(value: Size, option = 'size'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value)
    throw new BriskOptionError(option, value, 'a non-negative number of bytes or a string like "64 MB"')
  }
  if (typeof value === 'string') {
    const match = SIZE_PATTERN.exec(value.trim())
    if (match !== null) {
      const unit = (match[2] ?? '').toLowerCase()
      const factor = unit === '' ? 1 : SIZE_UNITS[unit]
      if (factor !== undefined) {
        const bytes = Number(match[1]) * factor
        if (Number.isFinite(bytes)) return Math.floor(bytes)
      }
    }
  }
  throw new BriskOptionError(
    option,
    value,
    'a non-negative number of bytes or a string with a unit: B, KB, MB, GB, TB (e.g. "64 MB")',
  )
}
