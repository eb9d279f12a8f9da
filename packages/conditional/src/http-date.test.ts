import { describe, expect, it } from 'vitest'
import { formatHttpDate, parseHttpDate } from './http-date.js'

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37)

describe('parseHttpDate', () => {
  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', NOV_6_1994],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', NOV_6_1994],
    ['asctime with a space-padded day', 'Sun Nov  6 08:49:37 1994', NOV_6_1994],
    ['asctime with a two-digit day', 'Thu Nov 17 08:49:37 1994', Date.UTC(1994, 10, 17, 8, 49, 37)],
    ['IMF-fixdate with surrounding whitespace', '  Sun, 06 Nov 1994 08:49:37 GMT ', NOV_6_1994],
    ['a leap second', 'Sat, 31 Dec 2016 23:59:60 GMT', Date.UTC(2017, 0, 1, 0, 0, 0)],
    ['29 February of a leap year', 'Tue, 29 Feb 2000 00:00:00 GMT', Date.UTC(2000, 1, 29)],
  ])('reads %s', (_form, value, expected) => {
    expect(parseHttpDate(value)).toBe(expected)
  })

  it.each([
    ['an empty value', ''],
    ['a word', 'foo'],
    ['a number', '784111777'],
    ['an ISO 8601 date', '1994-11-06T08:49:37Z'],
    ['a time zone other than GMT', 'Sun, 06 Nov 1994 08:49:37 PST'],
    ['a numeric offset', 'Sun, 06 Nov 1994 08:49:37 +0000'],
    ['a lower-case month', 'Sun, 06 nov 1994 08:49:37 GMT'],
    ['a one-digit day in IMF-fixdate', 'Sun, 6 Nov 1994 08:49:37 GMT'],
    ['a missing day name', '06 Nov 1994 08:49:37 GMT'],
    ['a list of two dates', 'Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT'],
    ['31 February', 'Sat, 31 Feb 2000 00:00:00 GMT'],
    ['29 February of a common year', 'Thu, 29 Feb 2001 00:00:00 GMT'],
    ['hour 24', 'Sun, 06 Nov 1994 24:00:00 GMT'],
    ['minute 60', 'Sun, 06 Nov 1994 08:60:00 GMT'],
    ['day 00', 'Sun, 00 Nov 1994 08:49:37 GMT'],
    ['a long day name in IMF-fixdate', 'Sunday, 06 Nov 1994 08:49:37 GMT'],
    ['a short day name in RFC 850', 'Sun, 06-Nov-94 08:49:37 GMT'],
    ['a four-digit year in RFC 850', 'Sunday, 06-Nov-1994 08:49:37 GMT'],
    ['a huge value', `Sun, 06 Nov 1994 08:49:37 GMT${' '.repeat(100_000)}x`],
  ])('ignores %s', (_form, value) => {
    expect(parseHttpDate(value)).toBeUndefined()
  })

  it('returns undefined for an absent field', () => {
    expect(parseHttpDate(undefined)).toBeUndefined()
  })

  it('reads a two-digit RFC 850 year more than 50 years ahead as the past century', () => {
    const current = new Date().getUTCFullYear()
    const ahead = (current + 51) % 100
    const value = `Sunday, 06-Nov-${String(ahead).padStart(2, '0')} 08:49:37 GMT`
    expect(new Date(parseHttpDate(value)!).getUTCFullYear()).toBe(current + 51 - 100)
  })

  it('reads a two-digit RFC 850 year in this century when not too far ahead', () => {
    const current = new Date().getUTCFullYear()
    const value = `Sunday, 06-Nov-${String(current % 100).padStart(2, '0')} 08:49:37 GMT`
    expect(new Date(parseHttpDate(value)!).getUTCFullYear()).toBe(current)
  })
})

describe('formatHttpDate', () => {
  it('writes IMF-fixdate', () => {
    expect(formatHttpDate(NOV_6_1994)).toBe('Sun, 06 Nov 1994 08:49:37 GMT')
  })

  it('round-trips through parseHttpDate at one-second resolution', () => {
    expect(parseHttpDate(formatHttpDate(NOV_6_1994 + 999))).toBe(NOV_6_1994)
  })
})
