import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { BriskHints } from './exchange.js'
import { bindHints, MAX_TAGS, requestContext } from './request-context.js'

function boundRequest(): { raw: IncomingMessage; hints: BriskHints } {
  const raw = new IncomingMessage(new Socket())
  const hints: BriskHints = {}
  bindHints(raw, hints)
  return { raw, hints }
}

describe('requestContext', () => {
  it('writes cacheFor with durations in milliseconds and its tags into the hints', () => {
    const { raw, hints } = boundRequest()
    requestContext(raw).cacheFor('5m', { swr: '1m', staleIfError: '1h', tags: ['post:42'] })
    expect(hints.cacheFor).toEqual({ ttl: 300_000, staleWhileRevalidate: 60_000, staleIfError: 3_600_000 })
    expect([...hints.tags!]).toEqual(['post:42'])
  })

  it('accumulates tags from several calls without duplicates', () => {
    const { raw, hints } = boundRequest()
    requestContext(raw).tag('list', 'post:1').tag('list')
    expect([...hints.tags!]).toEqual(['list', 'post:1'])
  })

  it('marks a response not to be stored as private with no lifetime', () => {
    const { raw, hints } = boundRequest()
    requestContext(raw).cacheFor('1h').noStore()
    expect(hints.cacheFor).toEqual({ ttl: 0, private: true })
  })

  it('keeps at most MAX_TAGS tags', () => {
    const { raw, hints } = boundRequest()
    requestContext(raw).tag(...Array.from({ length: MAX_TAGS + 10 }, (_, i) => `t${i}`))
    expect(hints.tags!.size).toBe(MAX_TAGS)
  })

  it('is an inactive no-op for a request no brisk middleware handles', () => {
    const context = requestContext(new IncomingMessage(new Socket()))
    expect(context.active).toBe(false)
    expect(() =>
      context
        .cacheFor('5m', { tags: ['a'] })
        .tag('b')
        .noStore(),
    ).not.toThrow()
    expect(requestContext(undefined).active).toBe(false)
  })

  it('refuses a bad duration or tag, naming it, with or without brisk in front', () => {
    const { raw } = boundRequest()
    expect(() => requestContext(raw).cacheFor('soon')).toThrow(/cacheFor\(ttl\)/)
    expect(() => requestContext(undefined).cacheFor('5m', { swr: -1 })).toThrow(/swr/)
    expect(() => requestContext(raw).tag('')).toThrow(/tag/)
  })
})
