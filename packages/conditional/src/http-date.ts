/**
 * HTTP-date (RFC 9110 §5.6.7): senders generate IMF-fixdate; recipients also accept the two
 * obsolete forms, RFC 850 and asctime. Parsing is strict (case-sensitive names, exact
 * spacing, real calendar dates) because §13.1.3 and §13.1.4 ask a server to ignore a
 * precondition whose date is not valid, including a list of dates: any value that is not
 * exactly one date parses to `undefined`. Never throws.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const SHORT_DAYS = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAYS = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'

// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = new RegExp(`^${SHORT_DAYS}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC_850 = new RegExp(`^${LONG_DAYS}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
// Sun Nov  6 08:49:37 1994 (the day is space-padded)
const ASCTIME = new RegExp(`^${SHORT_DAYS} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`)

// The longest valid form (RFC 850 with "Wednesday") is 37 characters; anything much longer is
// not a date and is refused before a regular expression sees it.
const MAX_LENGTH = 40

/** Milliseconds since the epoch for a valid HTTP-date, otherwise `undefined`. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (text.length > MAX_LENGTH) return undefined
  let match = IMF_FIXDATE.exec(text)
  if (match !== null) return toEpoch(match[3], match[2], match[1], match[4], match[5], match[6])
  match = RFC_850.exec(text)
  if (match !== null)
    return toEpoch(fullYear(Number(match[3])), match[2], match[1], match[4], match[5], match[6])
  match = ASCTIME.exec(text)
  if (match !== null) return toEpoch(match[6], match[1], match[2], match[3], match[4], match[5])
  return undefined
}

/** Formats a time as IMF-fixdate, the only form senders may generate (§5.6.7). */
export function formatHttpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString()
}

/**
 * §5.6.7: a two-digit RFC 850 year that appears to be more than 50 years in the future is the
 * most recent past year with the same last two digits.
 */
function fullYear(twoDigits: number): number {
  const current = new Date().getUTCFullYear()
  let year = current - (current % 100) + twoDigits
  if (year > current + 50) year -= 100
  return year
}

function toEpoch(
  year: string | number | undefined,
  month: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const y = Number(year)
  const m = MONTHS.indexOf(month ?? '')
  const d = Number(day)
  const h = Number(hour)
  const min = Number(minute)
  // 60 is allowed for a leap second (§5.6.7); Date.UTC rolls it into the next minute.
  const s = Number(second)
  if (m < 0 || d < 1 || d > 31 || h > 23 || min > 59 || s > 60) return undefined
  const epoch = Date.UTC(y, m, d, h, min, s)
  // Refuses dates that do not exist (31 Feb), which Date.UTC would silently roll over.
  if (new Date(epoch).getUTCDate() !== d && s !== 60) return undefined
  return epoch
}
