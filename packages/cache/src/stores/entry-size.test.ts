import { describe, expect, it } from 'vitest'
import type { StoreEntry } from '../store.js'
import { estimateEntrySize } from './entry-size.js'

// The measured cost per entry beyond the body (bench/src/store-memory-probe.ts, Node 20.20 x64,
// glibc; marginal RSS per entry over the second 100k of 200k entries, after GC; see the figures
// in entry-size.ts). The estimate must account at least this much, or a store of small entries
// holds more than its bound.
const MEASURED_DATA_ENTRY = 730 // key `data:user:123456`, meta {c, e, g, f}
const MEASURED_RESPONSE_ENTRY = 920 // key `GET /?k=123456`, a response meta with 3 headers
const MEASURED_TWO_TAGS = 375 // `posts` (shared) and `post:<n>` (its own)

const now = 1_790_000_000_123

function dataEntry(bodyBytes: number): StoreEntry {
  return { meta: { c: now, e: now + 60_000, g: now + 60_000, f: 'json' }, body: Buffer.alloc(bodyBytes) }
}

function responseEntry(bodyBytes: number): StoreEntry {
  return {
    meta: {
      kind: 'response',
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        etag: '"mq3x1k2b-abcdefghijklmnopqrstu"',
        vary: 'accept-encoding',
      },
      storedAt: now,
      lifetime: 600_000,
      initialAge: 0,
      staleWhileRevalidate: 0,
      staleIfError: 0,
      mustRevalidate: false,
      shared: false,
      tags: [],
    },
    body: Buffer.alloc(bodyBytes),
  }
}

describe('estimateEntrySize', () => {
  it.each([0, 100, 1000])(
    'accounts at least the measured memory of a small data-cache entry (%d B body)',
    (bytes) => {
      expect(estimateEntrySize('data:user:123456', dataEntry(bytes), undefined)).toBeGreaterThanOrEqual(
        bytes + MEASURED_DATA_ENTRY,
      )
    },
  )

  it('accounts at least the measured memory of a small response entry', () => {
    expect(estimateEntrySize('GET /?k=123456', responseEntry(100), undefined)).toBeGreaterThanOrEqual(
      100 + MEASURED_RESPONSE_ENTRY,
    )
  })

  it('accounts at least the measured memory of two tags in the tag index', () => {
    const entry = dataEntry(100)
    const untagged = estimateEntrySize('data:user:123456', entry, undefined)
    const tagged = estimateEntrySize('data:user:123456', entry, ['posts', 'post:123456'])
    expect(tagged - untagged).toBeGreaterThanOrEqual(MEASURED_TWO_TAGS)
  })

  it('stays close to the body for a large page (overhead under 3 % at 45 KB)', () => {
    const size = estimateEntrySize('GET /?k=123456', responseEntry(45_652), undefined)
    expect(size).toBeGreaterThan(45_652)
    expect(size).toBeLessThan(45_652 * 1.03)
  })

  it('grows with the key, every metadata string and nested values', () => {
    const base = estimateEntrySize('k', dataEntry(0), undefined)
    expect(estimateEntrySize('k'.repeat(101), dataEntry(0), undefined)).toBe(base + 200)
    const withHeader = dataEntry(0)
    withHeader.meta.headers = { 'x-filler': 'v'.repeat(1000) }
    expect(estimateEntrySize('k', withHeader, undefined)).toBeGreaterThan(base + 2000)
    const withBuffer = dataEntry(0)
    withBuffer.meta.raw = Buffer.alloc(5000)
    expect(estimateEntrySize('k', withBuffer, undefined)).toBeGreaterThan(base + 5000)
  })

  it('stops walking deeply nested metadata', () => {
    let deep: Record<string, unknown> = { leaf: 'x'.repeat(10_000) }
    for (let i = 0; i < 20; i++) deep = { next: deep }
    const size = estimateEntrySize('k', { meta: deep, body: Buffer.alloc(0) }, undefined)
    expect(size).toBeLessThan(2000)
  })
})
