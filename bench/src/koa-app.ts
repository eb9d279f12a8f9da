import type { RequestListener } from 'node:http'
import { front, toKoa } from '@brisk/koa'
import { withBrisk } from '@brisk/node'
import Router from '@koa/router'
import { Redis } from 'ioredis'
import Koa, { type Context, type Middleware } from 'koa'
import koaCash from 'koa-cash'
import koaCompress from 'koa-compress'
import ratelimit from 'koa-ratelimit'
import { LRUCache } from 'lru-cache'
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible'
import {
  briskLayer,
  frontLayerOptions,
  STATIC_RATELIMIT_FIELDS,
  UNREACHED_LIMIT,
  type Built,
} from './brisk-layers.js'
import { HTML, JSON_TYPE, loadFrontPage, prebuiltFrontPage, renderSmallBody } from './page.js'
import type { ServerSpec } from './server-spec.js'

type CashContext = Context & { cashed?: (maxAge?: number) => Promise<boolean> }

/** A Koa 3 app for a spec: the peers installed as their READMEs show, brisk through `toKoa`. */
export async function buildKoa(spec: ServerSpec): Promise<Built<RequestListener>> {
  const app = new Koa()
  // autocannon closes its sockets mid-response when a run ends; Koa would print each of those
  // aborted streams. Statuses and socket errors are what the harness checks.
  app.silent = true
  const closers: (() => Promise<void>)[] = []
  const redis = (): Redis => {
    if (spec.redis === undefined) throw new Error(`${spec.layer} needs spec.redis`)
    const client = new Redis(spec.redis.url, { maxRetriesPerRequest: 1 })
    closers.push(async () => client.disconnect())
    return client
  }
  const prefix = spec.redis?.prefix ?? 'brisk-bench:unset:'
  const prebuilt = prebuiltFrontPage()

  if (spec.app === 'ceiling') {
    app.use((ctx) => {
      ctx.type = HTML
      ctx.body = prebuilt
    })
    return { value: app.callback(), close: async () => {} }
  }

  // Front mode composes its own concerns from options; the other mounts use the built layer.
  const brisk = spec.mount === 'front' ? undefined : await briskLayer(spec)
  if (brisk !== undefined) {
    if (spec.mount !== 'withBrisk') app.use(toKoa(brisk.value))
    closers.push(brisk.close)
  }
  const stats = brisk?.stats
  for (const middleware of koaPeerLayers(spec, redis, prefix)) app.use(middleware)

  const router = new Router()
  router.get('/', async (ctx: CashContext) => {
    if (spec.app === 'prebuilt') {
      ctx.type = HTML
      ctx.body = prebuilt
      return
    }
    if (spec.app === 'small') {
      ctx.type = JSON_TYPE
      ctx.body = renderSmallBody()
      return
    }
    // koa-cash answers hits from inside the route, as its README shows.
    if (ctx.cashed !== undefined && (await ctx.cashed())) return
    const page = await loadFrontPage()
    ctx.type = HTML
    ctx.body = page
  })
  app.use(router.routes())
  const callback = app.callback()
  const fronted = spec.mount === 'front' ? front(app, frontLayerOptions(spec)) : undefined
  return {
    value:
      fronted ??
      (brisk !== undefined && spec.mount === 'withBrisk' ? withBrisk(brisk.value, callback) : callback),
    ...(stats === undefined ? {} : { stats }),
    close: async () => {
      for (const closer of closers.reverse()) await closer()
    },
  }
}

function koaPeerLayers(spec: ServerSpec, redis: () => Redis, prefix: string): Middleware[] {
  const cash = (): Middleware => {
    // koa-cash's README: an LRU behind get/set; bounded like brisk's default 64 MB store.
    const lru = new LRUCache<string, object>({
      maxSize: 64 * 1024 * 1024,
      sizeCalculation: (value) => JSON.stringify(value).length || 1,
    })
    return koaCash({
      maxAge: 600,
      get: (key) => lru.get(key),
      set: (key, value) => lru.set(key, value as object),
    })
  }
  switch (spec.layer) {
    case 'koa-cash':
      return [cash()]
    case 'koa-compress':
      return [koaCompress()]
    case 'peer-stack':
      // The usual order: compression outermost, the cache inside it (koa-cash keeps the body uncompressed).
      return [koaCompress(), cash()]
    case 'ratelimit-fields-static':
      return [
        (ctx, next) => {
          for (const [name, value] of STATIC_RATELIMIT_FIELDS) ctx.set(name, value)
          return next()
        },
      ]
    case 'koa-ratelimit-memory':
      return [ratelimit({ driver: 'memory', db: new Map(), duration: 60_000, max: UNREACHED_LIMIT })]
    case 'koa-ratelimit-redis':
      return [
        ratelimit({
          driver: 'redis',
          db: redis(),
          duration: 60_000,
          max: UNREACHED_LIMIT,
          namespace: `${prefix}koa-ratelimit`,
        }),
      ]
    case 'rlf-memory':
      return [flexible(new RateLimiterMemory({ points: UNREACHED_LIMIT, duration: 60 }))]
    case 'rlf-redis':
      return [
        flexible(
          new RateLimiterRedis({
            storeClient: redis(),
            points: UNREACHED_LIMIT,
            duration: 60,
            keyPrefix: `${prefix}rlf`,
          }),
        ),
      ]
    default:
      return []
  }
}

/** rate-limiter-flexible ships no middleware; this is the one its README writes for Koa. */
function flexible(limiter: RateLimiterAbstract): Middleware {
  return async (ctx, next) => {
    try {
      await limiter.consume(ctx.ip)
    } catch {
      ctx.status = 429
      ctx.body = 'Too Many Requests'
      return
    }
    await next()
  }
}
