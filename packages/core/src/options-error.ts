/**
 * Thrown when a middleware is created with an option it cannot use. The message names the
 * option, the bad value and what is allowed, so the fix is obvious at start-up rather than
 * at the first request.
 */
export class BriskOptionError extends TypeError {
  readonly option: string

  constructor(option: string, value: unknown, allowed: string) {
    super(`brisk: invalid option ${option}: ${describe(value)}. Expected ${allowed}.`)
    this.name = 'BriskOptionError'
    this.option = option
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value)
  }
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/**
 * Refuses option names a function does not take: a typo (`legacyHeader` for `legacyHeaders`)
 * would otherwise be ignored in silence and its default used. `at` prefixes the name in the
 * message (`policies[1].`).
 */
export function refuseUnknownOptions(options: object, known: ReadonlySet<string>, at = ''): void {
  for (const name of Object.keys(options)) {
    if (!known.has(name)) {
      throw new BriskOptionError(`${at}${name}`, 'unknown', `one of ${[...known].join(', ')}`)
    }
  }
}
