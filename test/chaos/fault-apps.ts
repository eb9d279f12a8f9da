/**
 * The apps the fault-injection tests load: a Koa app and an Express app, each with the full
 * stack (rate limit failing open with insurance, conditional, cache, compress) on a Redis
 * cache store (Koa) or a memory-over-Redis tiered store (Express), a `/strict` route behind a
 * limiter that fails closed, a recording logger, and counters of app calls so a phase's hit
 * ratio is `1 - appCalls / requests`.
 */
import { createServer, type Server } from 'node:http'
import { memoryStore, redisStore, tieredStore, type CacheStore, type RedisClient } from '@brisk/cache'
import type { BackendGuard, BriskLogger } from '@brisk/core'
import { toExpress } from '@brisk/express'
import { toKoa } from '@brisk/koa'
import {
  rateLimit,
  redisStore as limiterRedisStore,
  type RedisStore as LimiterRedisStore,
} from '@brisk/ratelimit'
import { createStack } from '@brisk/stack'
import autocannon from 'autocannon'
import express from 'express'
import Koa from 'koa'
import { close, listen, send } from '../hostile/raw-http.js'

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug'
  msg: string
}

/** A pino-compatible logger that keeps every line. */
export function recordingLogger(): BriskLogger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const record = (level: LogLine['level']) => (_obj: object, msg?: string) =>
    lines.push({ level, msg: msg ?? '' })
  return { lines, error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') }
}

export interface FaultApp {
  name: string
  port: number
  /** Calls that reached the page handler (misses and bypasses). */
  appCalls: number
  /** Limiter store of the stack (fails open), for its circuit state. */
  limiterStore: LimiterRedisStore
  cacheStore: CacheStore
  /** The guard of the cache's Redis store (the L2 of the tiered store). */
  cacheGuard: BackendGuard
  logger: ReturnType<typeof recordingLogger>
  close(): Promise<void>
}

/** 10 KB rendered per request, so a hit is distinguishable in cost and counts. */
export function renderPage(n: string): string {
  let html = `<!doctype html><title>page ${n}</title>`
  for (let i = 0; i < 100; i++) html += `<p>paragraph ${i} of page ${n} rendered at ${Date.now()}</p>`
  return html
}

/** Koa or Express app with the full stack in front of `/page/:n` and `/strict`. */
export async function startFaultApp(
  framework: 'koa' | 'express',
  client: RedisClient,
  prefix: string,
): Promise<FaultApp> {
  const logger = recordingLogger()
  const timeouts = { timeout: 100, resetTimeout: 200 }
  const l2 = redisStore({ client, prefix: `${prefix}cache:`, logger, ...timeouts })
  const cacheStore: CacheStore =
    framework === 'koa' ? l2 : tieredStore({ l1: memoryStore({ maxSize: '8 MB' }), l2, logger })
  const limiterStore = limiterRedisStore({ client, prefix: `${prefix}rl:`, logger, ...timeouts })
  // Its own logger, so each store's incidents in `logger` can be followed line by line.
  const strictStore = limiterRedisStore({
    client,
    prefix: `${prefix}strict:`,
    logger: recordingLogger(),
    ...timeouts,
  })
  const stack = createStack({
    rateLimit: { limit: 1_000_000_000, window: '1h', store: limiterStore, failure: 'open' },
    cache: { store: cacheStore, ttl: '5m', logger },
    logger,
  })
  const strict = rateLimit({ limit: 1_000_000_000, window: '1h', store: strictStore, failure: 'closed' })
  const state = { appCalls: 0 }

  let server: Server
  if (framework === 'koa') {
    const app = new Koa()
    const strictKoa = toKoa(strict)
    const stackKoa = toKoa(stack)
    app.use(async (ctx, next) => (ctx.path === '/strict' ? strictKoa(ctx, next) : stackKoa(ctx, next)))
    app.use((ctx) => {
      state.appCalls++
      ctx.type = 'html'
      ctx.body = renderPage(ctx.path)
    })
    server = createServer(app.callback())
  } else {
    const app = express()
    app.get('/strict', toExpress(strict), (_req, res) => {
      res.send('ok')
    })
    app.use(toExpress(stack))
    app.use((req, res) => {
      state.appCalls++
      res.type('html').send(renderPage(req.path))
    })
    server = createServer(app)
  }
  const port = await listen(server)
  return {
    name: framework,
    port,
    get appCalls() {
      return state.appCalls
    },
    limiterStore,
    cacheStore,
    cacheGuard: l2.guard,
    logger,
    close: async () => {
      await close(server)
      await cacheStore.close?.()
    },
  }
}

export interface PhaseFigures {
  requests: number
  /** Non-2xx answers, connection errors and timeouts: every one a failure here. */
  failures: number
  hitRatio: number
}

let freshCounter = 0

/**
 * A bounded autocannon run (few connections, a few seconds) over 20 cacheable pages and,
 * one request in eleven, a page never asked before, so that stores are written during a
 * fault too (a hit ratio near 91% is the most a working cache reaches here).
 */
export async function load(app: FaultApp, seconds: number): Promise<PhaseFigures> {
  const callsBefore = app.appCalls
  const pages = Array.from({ length: 20 }, (_, i) => ({ method: 'GET' as const, path: `/page/${i}` }))
  const fresh = {
    method: 'GET' as const,
    setupRequest: (req: { path?: string }) => ({ ...req, path: `/fresh/${freshCounter++}` }),
  }
  const result = await autocannon({
    url: `http://127.0.0.1:${app.port}`,
    connections: 4,
    duration: seconds,
    headers: { 'accept-encoding': 'gzip' },
    requests: [...pages.slice(0, 10), fresh, ...pages.slice(10), fresh],
  })
  const requests = result['2xx'] + result.non2xx
  const calls = app.appCalls - callsBefore
  return {
    requests,
    failures: result.non2xx + result.errors + result.timeouts,
    hitRatio: requests === 0 ? 0 : Math.max(0, 1 - calls / requests),
  }
}

/** Polls `check` every 50 ms until it holds; resolves with the ms it took, or throws after `boundMs`. */
export async function until(check: () => Promise<boolean>, boundMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < boundMs) {
    if (await check().catch(() => false)) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what} did not happen within ${boundMs} ms`)
}

let probeCounter = 0

/** True when a fresh page is stored and then served as a hit: the cache works through Redis again. */
export async function cacheServesHits(app: FaultApp): Promise<boolean> {
  const path = `/probe/${probeCounter++}`
  const first = await send(app.port, path)
  if (first.status !== 200) return false
  const second = await send(app.port, path)
  return String(second.headers['cache-status'] ?? '').includes('hit')
}

/** True when the fail-closed route answers 200 again and the stack's limiter circuit is closed. */
export async function limiterBack(app: FaultApp): Promise<boolean> {
  const strict = await send(app.port, '/strict')
  await send(app.port, '/page/limiter-probe')
  return (
    strict.status === 200 && app.limiterStore.guard.state === 'closed' && app.cacheGuard.state === 'closed'
  )
}
