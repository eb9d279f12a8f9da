/**
 * Black-box audit of the limiter's HTTP answers, from the READMEs alone: on every framework and
 * in every mode (alone, inside stack(), front mode), the RateLimit and RateLimit-Policy fields
 * parse as RFC 9651 Lists in the syntax of draft-ietf-httpapi-ratelimit-headers-11 (§3, §4: a
 * String naming the policy, Integer parameters q, w / r, t), Retry-After is delay-seconds and
 * never earlier than the refusing policy's effective window (§6), a refused request consumes
 * nothing, a HEAD is refused without a body, and JSON clients get RFC 9457 problem details.
 * The clock is injected (memoryStore({ now }), rateLimit({ now })), so every value is exact.
 */
import type { RequestListener } from 'node:http'
import { createRequire } from 'node:module'
import * as briskExpress from '@brisk/express'
import * as briskKoa from '@brisk/koa'
import { withBrisk } from '@brisk/node'
import { memoryStore, rateLimit, type RateLimitOptions } from '@brisk/ratelimit'
import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { parseList, type ListMember, type SfItem } from '../support/structured-fields.js'
import { buildApp, FRAMEWORKS, MODES, type Framework, type Mode } from './audit-apps.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

// An hour boundary (epoch-aligned) plus 15 s: every window's remaining time is known.
const HOUR_START = 3_600_000 * 472_222
const T0 = HOUR_START + 15_000

function clock(): { now: () => number; advance: (ms: number) => void } {
  let now = T0
  return { now: () => now, advance: (ms) => (now += ms) }
}

/** One policy per algorithm, all three at once: every one must pass. */
function threePolicies(now: () => number): RateLimitOptions {
  return {
    policies: [
      { name: 'burst', limit: 3, window: '10s', algorithm: 'token-bucket', burst: 3 },
      { name: 'minute', limit: 5, window: '1m', algorithm: 'sliding-window' },
      { name: 'hour', limit: 100, window: '1h', algorithm: 'fixed-window' },
    ],
    store: memoryStore({ now }),
    now,
  }
}

interface Parsed {
  name: string
  params: Record<string, number>
}

/** Parses a field as the draft defines it: a List of Items whose value is a String, Integer params. */
function draftList(field: string | string[] | undefined): Parsed[] {
  expect(field, 'field present').toBeDefined()
  const members: ListMember[] = parseList(field!)
  return members.map((member) => {
    expect('inner' in member, 'no inner lists').toBe(false)
    const item = member as SfItem
    expect(typeof item.value, 'item value is a String').toBe('string')
    const params: Record<string, number> = {}
    for (const [key, value] of item.params) {
      expect(typeof value, `${key} is an Integer`).toBe('number')
      expect(Number.isInteger(value), `${key} is an Integer`).toBe(true)
      expect(value as number, `${key} is non-negative`).toBeGreaterThanOrEqual(0)
      params[key] = value as number
    }
    return { name: item.value as string, params }
  })
}

function byName(list: Parsed[]): Record<string, Record<string, number>> {
  return Object.fromEntries(list.map((item) => [item.name, item.params]))
}

const cases: [Framework, Mode][] = FRAMEWORKS.flatMap((framework) =>
  MODES.map((mode): [Framework, Mode] => [framework, mode]),
)

describe.each(cases)('RateLimit fields on %s (%s)', (framework, mode) => {
  it('parse as RFC 9651 Lists with the draft names and parameters, for all three algorithms at once', async () => {
    const time = clock()
    const app = buildApp(framework, mode, { rateLimit: threePolicies(time.now) })
    const agent = request(app.listener)

    const first = await agent.get('/').expect(200)
    expect(first.text).toBe('ok')
    const policy = draftList(first.headers['ratelimit-policy'])
    expect(policy).toEqual([
      { name: 'burst', params: { q: 3, w: 10 } },
      { name: 'minute', params: { q: 5, w: 60 } },
      { name: 'hour', params: { q: 100, w: 3600 } },
    ])
    // r: what remains after this request; t: seconds until more quota (the effective window).
    expect(byName(draftList(first.headers.ratelimit))).toEqual({
      burst: { r: 2, t: 4 }, // one token per 3.33 s: the next one in 4 s (rounded up)
      minute: { r: 4, t: 45 }, // the current minute ends in 45 s
      hour: { r: 99, t: 3585 }, // the hour ends in 3585 s
    })

    await agent.get('/').expect(200)
    const third = await agent.get('/').expect(200)
    expect(byName(draftList(third.headers.ratelimit))).toEqual({
      burst: { r: 0, t: 4 },
      minute: { r: 2, t: 45 },
      hour: { r: 97, t: 3585 },
    })
  })

  it('refuses with 429, a Retry-After consistent with t, and consumes from no policy', async () => {
    const time = clock()
    const app = buildApp(framework, mode, { rateLimit: threePolicies(time.now) })
    const agent = request(app.listener)
    for (let i = 0; i < 3; i++) await agent.get('/').expect(200)
    const ranBefore = app.ran

    const refused = await agent.get('/').expect(429)
    expect(app.ran, 'a 429 never runs the app').toBe(ranBefore)
    const retryAfter = refused.headers['retry-after']
    expect(retryAfter).toMatch(/^\d+$/) // delay-seconds (RFC 9110 §10.2.3)
    const limits = byName(draftList(refused.headers.ratelimit))
    expect(limits).toEqual({
      burst: { r: 0, t: 4 }, // the refusing policy: its t is the wait
      minute: { r: 2, t: 45 }, // the others unchanged: the refusal consumed nothing
      hour: { r: 97, t: 3585 },
    })
    expect(Number(retryAfter)).toBe(limits.burst!.t)
    expect(draftList(refused.headers['ratelimit-policy'])).toHaveLength(3)
    expect(refused.headers['cache-control']).toBe('no-store')

    // Refused again and again: still nothing consumed from minute or hour.
    for (let i = 0; i < 5; i++) await agent.get('/').expect(429)
    time.advance(4_000)
    const again = await agent.get('/').expect(200)
    expect(byName(draftList(again.headers.ratelimit))).toMatchObject({
      minute: { r: 1 },
      hour: { r: 96 },
    })
  })

  it.each(['fixed-window', 'sliding-window', 'token-bucket'] as const)(
    'lets a client that waited Retry-After through, and not one that waited a second less (%s)',
    async (algorithm) => {
      for (const early of [true, false]) {
        const time = clock()
        const app = buildApp(framework, mode, {
          rateLimit: { limit: 5, window: '1m', algorithm, store: memoryStore({ now: time.now }) },
        })
        const agent = request(app.listener)
        for (let i = 0; i < 5; i++) await agent.get('/').expect(200)
        const refused = await agent.get('/').expect(429)
        const wait = Number(refused.headers['retry-after'])
        expect(wait).toBeGreaterThanOrEqual(1)
        time.advance((early ? wait - 1 : wait) * 1000)
        await agent.get('/').expect(early ? 429 : 200)
      }
    },
  )

  it('names every violated policy and waits for the longest in Retry-After', async () => {
    const time = clock()
    const now = time.now
    const app = buildApp(framework, mode, {
      rateLimit: {
        policies: [
          { name: 'a', limit: 2, window: '10s', algorithm: 'fixed-window' },
          { name: 'b', limit: 2, window: '1m', algorithm: 'fixed-window' },
        ],
        store: memoryStore({ now }),
        now,
      },
    })
    const agent = request(app.listener)
    await agent.get('/').expect(200)
    await agent.get('/').expect(200)
    const refused = await agent.get('/').set('Accept', 'application/json').expect(429)
    const limits = byName(draftList(refused.headers.ratelimit))
    // 15 s into the minute: a's 10 s window ends in 5 s, b's minute in 45 s.
    expect(limits).toEqual({ a: { r: 0, t: 5 }, b: { r: 0, t: 45 } })
    expect(refused.headers['retry-after']).toBe('45')
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(refused.text)).toEqual({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      title: 'Too Many Requests',
      status: 429,
      'violated-policies': ['a', 'b'],
    })
  })

  it('answers a JSON client with problem details and others with short text; the message is configurable', async () => {
    const time = clock()
    const app = buildApp(framework, mode, {
      rateLimit: { limit: 1, window: '1m', store: memoryStore({ now: time.now }), message: 'Slow down' },
    })
    const agent = request(app.listener)
    await agent.get('/').expect(200)
    const json = await agent.get('/').set('Accept', 'application/json').expect(429)
    expect(json.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(json.text)).toMatchObject({
      title: 'Slow down',
      status: 429,
      'violated-policies': ['default'],
    })
    expect(Number(json.headers['content-length'])).toBe(Buffer.byteLength(json.text))

    const browser = await agent
      .get('/')
      .set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')
      .expect(429)
    expect(browser.headers['content-type']).toMatch(/^text\/plain/)
    expect(browser.text).toBe('Slow down')
    const bare = await agent.get('/').expect(429)
    expect(bare.text).toBe('Slow down')
  })

  it('refuses a HEAD with the same head and no body', async () => {
    const time = clock()
    const app = buildApp(framework, mode, {
      rateLimit: { limit: 1, window: '1m', algorithm: 'fixed-window', store: memoryStore({ now: time.now }) },
    })
    const agent = request(app.listener)
    await agent.head('/').expect(200)
    const refused = await agent.head('/').expect(429)
    expect(refused.text ?? '').toBe('')
    expect(refused.headers['retry-after']).toBe('45')
    expect(byName(draftList(refused.headers.ratelimit))).toEqual({ default: { r: 0, t: 45 } })
  })

  it('sends the legacy X-RateLimit fields only when asked, as integers', async () => {
    const time = clock()
    const app = buildApp(framework, mode, {
      rateLimit: {
        limit: 10,
        window: '1m',
        algorithm: 'fixed-window',
        store: memoryStore({ now: time.now }),
        now: time.now,
        legacyHeaders: true,
      },
    })
    const response = await request(app.listener).get('/').expect(200)
    expect(response.headers['x-ratelimit-limit']).toBe('10')
    expect(response.headers['x-ratelimit-remaining']).toBe('9')
    expect(response.headers['x-ratelimit-reset']).toBe(String((T0 + 45_000) / 1000))

    const plain = buildApp(framework, mode, { rateLimit: { limit: 10, window: '1m' } })
    const without = await request(plain.listener).get('/').expect(200)
    expect(without.headers['x-ratelimit-limit']).toBeUndefined()
    expect(without.headers['ratelimit']).toBeDefined()
  })

  it('charges a request its cost (weights) in every policy', async () => {
    const time = clock()
    const app = buildApp(framework, mode, {
      rateLimit: {
        policies: [
          { name: 'small', limit: 10, window: '1m', algorithm: 'fixed-window' },
          { name: 'bucket', limit: 10, window: '1m', algorithm: 'token-bucket' },
        ],
        cost: (req) => (req.url.startsWith('/upload') ? 4 : 1),
        store: memoryStore({ now: time.now }),
      },
    })
    const agent = request(app.listener)
    const upload = await agent.get('/upload').expect(200)
    expect(byName(draftList(upload.headers.ratelimit))).toMatchObject({ small: { r: 6 }, bucket: { r: 6 } })
    await agent.get('/upload').expect(200)
    const refused = await agent.get('/upload').expect(429) // 8 spent, 4 more do not fit
    expect(byName(draftList(refused.headers.ratelimit))).toMatchObject({ small: { r: 2 }, bucket: { r: 2 } })
    await agent.get('/').expect(200)
    await agent.get('/').expect(200)
    await agent.get('/').expect(429)
  })
})

/** A global limiter for every path and a stricter one for /login, as two middlewares. */
function twoLimiters(framework: Framework, now: () => number): RequestListener {
  const global: RateLimitOptions = {
    name: 'global',
    limit: 100,
    window: '1h',
    algorithm: 'fixed-window',
    store: memoryStore({ now }),
  }
  const login: RateLimitOptions = {
    name: 'login',
    limit: 2,
    window: '1m',
    algorithm: 'fixed-window',
    store: memoryStore({ now }),
  }
  if (framework === 'Express 4' || framework === 'Express 5') {
    const app = (framework === 'Express 4' ? express4 : express)()
    app.use(briskExpress.rateLimit(global))
    app.use('/login', briskExpress.rateLimit(login))
    app.use((_req, res) => void res.send('ok'))
    return app as unknown as RequestListener
  }
  if (framework === 'Koa 2' || framework === 'Koa 3') {
    const app = new (framework === 'Koa 2' ? Koa2 : Koa)()
    const loginLimiter = briskKoa.rateLimit(login)
    app.use(briskKoa.rateLimit(global))
    app.use((ctx, next) => (ctx.path.startsWith('/login') ? loginLimiter(ctx, next) : next()))
    app.use((ctx) => void (ctx.body = 'ok'))
    return app.callback() as RequestListener
  }
  const strict = rateLimit({ ...login, skip: (req) => !req.url.startsWith('/login') })
  return withBrisk(
    rateLimit(global),
    withBrisk(strict, (_req, res) => void res.end('ok'), { logger: false }),
    { logger: false },
  ) as RequestListener
}

describe.each(FRAMEWORKS)('two limiters, one global and one for /login, on %s', (framework) => {
  it('advertise both policies in one list each, and keep the global member on the 429', async () => {
    const time = clock()
    const listener = twoLimiters(framework, time.now)
    const home = await request(listener).get('/').expect(200)
    expect(draftList(home.headers['ratelimit-policy'])).toEqual([
      { name: 'global', params: { q: 100, w: 3600 } },
    ])

    const login = await request(listener).get('/login').expect(200)
    expect(draftList(login.headers['ratelimit-policy'])).toEqual([
      { name: 'global', params: { q: 100, w: 3600 } },
      { name: 'login', params: { q: 2, w: 60 } },
    ])
    expect(byName(draftList(login.headers.ratelimit))).toEqual({
      global: { r: 98, t: 3585 },
      login: { r: 1, t: 45 },
    })
    await request(listener).get('/login').expect(200)
    const refused = await request(listener).get('/login').expect(429)
    expect(byName(draftList(refused.headers.ratelimit))).toEqual({
      // Two middlewares count on their own: the global one counted this request before the
      // login limiter refused it (one limiter with `policies` is all-or-nothing instead).
      global: { r: 96, t: 3585 },
      login: { r: 0, t: 45 },
    })
    expect(refused.headers['retry-after']).toBe('45')
  })
})
