import { describe, expect, it } from 'vitest'
import { dataEntryMeta, entryState, isDueForEarlyRefresh, readDataMeta } from './entry.js'

// An entry computed at t=1000 with ttl 100 and grace 50: fresh until 1100, stale until 1150.
const meta = dataEntryMeta(1000, 100, 50, 'json-v8')

describe('entryState', () => {
  it.each([
    [1000, 'fresh'],
    [1099, 'fresh'],
    [1100, 'stale'],
    [1149, 'stale'],
    [1150, 'dead'],
    [9999, 'dead'],
  ] as const)('at %i the entry is %s', (now, state) => {
    expect(entryState(meta, now)).toBe(state)
  })

  it('treats an entry without grace as dead the moment it expires', () => {
    expect(entryState(dataEntryMeta(1000, 100, 0, 'json-v8'), 1100)).toBe('dead')
  })
})

describe('isDueForEarlyRefresh', () => {
  it.each([
    [1079, 0.8, false],
    [1080, 0.8, true],
    [1099, 0.8, true],
    [1049, 0.5, false],
    [1050, 0.5, true],
  ])('at %i with fraction %d it is due: %s', (now, fraction, due) => {
    expect(isDueForEarlyRefresh(meta, now, fraction)).toBe(due)
  })
})

describe('readDataMeta', () => {
  it.each([
    ['a data entry of the same serializer', { c: 1, e: 2, g: 3, f: 'json-v8' }, true],
    ['a data entry of another serializer', { c: 1, e: 2, g: 3, f: 'v8' }, false],
    ['a stored response', { status: 200, headers: {} }, false],
    ['meta with a non-numeric expiry', { c: 1, e: '2', g: 3, f: 'json-v8' }, false],
  ])('reads %s as ours: %s', (_label, stored, ours) => {
    expect(readDataMeta(stored, 'json-v8') !== undefined).toBe(ours)
  })
})
