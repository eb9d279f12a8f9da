import { pino } from 'pino'
import { BriskOptionError } from './options-error.js'

/**
 * The logging surface brisk uses: a pino logger fits it as it is, and so does any logger
 * with pino's `(object, message)` call shape. brisk logs incidents (a backend going down
 * and coming back), never one line per request.
 */
export interface BriskLogger {
  error(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
}

const silent: BriskLogger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
}

const LEVELS = ['error', 'warn', 'info', 'debug'] as const

let fallback: BriskLogger | undefined

/**
 * The logger a middleware uses: the one the user passed, a silent one for `false`, or a
 * shared pino logger named `brisk` at level `warn` (override with `BRISK_LOG_LEVEL`).
 */
export function resolveLogger(option?: BriskLogger | false): BriskLogger {
  if (option === false) return silent
  if (option !== undefined) {
    // Checked at creation: a logger that cannot log would throw only during an incident,
    // turning a Redis outage (which must never fail a request) into errors.
    const candidate = option as Partial<Record<keyof BriskLogger, unknown>> | null
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      !LEVELS.every((level) => typeof candidate[level] === 'function')
    ) {
      throw new BriskOptionError(
        'logger',
        option,
        'false, or a logger with error, warn, info and debug methods (pino, console)',
      )
    }
    return option
  }
  fallback ??= pino({ name: 'brisk', level: process.env.BRISK_LOG_LEVEL ?? 'warn' })
  return fallback
}
