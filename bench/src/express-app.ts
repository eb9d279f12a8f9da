import type { RequestListener } from 'node:http'
import { front, toExpress } from '@brisk/express'
import { withBrisk } from '@brisk/node'
import apicache from 'apicache'
import compression from 'compression'
import type { Express, RequestHandler } from 'express'
import { rateLimit as expressRateLimit } from 'express-rate-limit'
import { Redis } from 'ioredis'
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis'
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible'
import {
  briskLayer,
  frontLayerOptions,
  STATIC_RATELIMIT_FIELDS,
  UNREACHED_LIMIT,
  type Built,
} from './brisk-layers.js'
import { hitWriter } from './node-app.js'
import { HTML, JSON_TYPE, loadFrontPage, prebuiltFrontPage, renderSmallBody } from './page.js'
import type { ServerSpec } from './server-spec.js'

/** An Express 5 or 4 app for a spec: peers installed as their READMEs show, brisk through `toExpress`. */
export async function buildExpress(spec: ServerSpec): Promise<Built<RequestListener>> {
  const express = (spec.framework === 'express4' ? await import('express4') : await import('express')).default
  const app: Express = express()
  app.disable('x-powered-by')
  // Express hashes every body for a weak ETag by default; that is the express-etag variant's
  // subject, not every scenario's cost (the example blog turns it off too).
  app.set('etag', spec.layer === 'express-etag' ? 'weak' : false)
  const closers: (() => Promise<void>)[] = []
  const redis = (): Redis => {
    if (spec.redis === undefined) throw new Error(`${spec.layer} needs spec.redis`)
    const client = new Redis(spec.redis.url, { maxRetriesPerRequest: 1 })
    closers.push(async () => client.disconnect())
    return client
  }
  const prefix = spec.redis?.prefix ?? 'brisk-bench:unset:'
  const prebuilt = prebuiltFrontPage()
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer()
  }

  if (spec.app === 'ceiling') {
    app.use((_req, res) => {
      res.writeHead(200, { 'content-type': HTML, 'content-length': prebuilt.length })
      res.end(prebuilt)
    })
    return { value: app as unknown as RequestListener, close }
  }
  if (spec.app === 'ceiling-hit') {
    const writeHit = hitWriter()
    app.use((_req, res) => writeHit(res))
    return { value: app as unknown as RequestListener, close }
  }

  // Front mode composes its own concerns from options; the other mounts use the built layer.
  const brisk = spec.mount === 'front' ? undefined : await briskLayer(spec)
  if (brisk !== undefined) {
    if (spec.mount !== 'withBrisk') app.use(toExpress(brisk.value))
    closers.push(brisk.close)
  }
  const stats = brisk?.stats
  for (const middleware of expressPeerLayers(spec, redis, prefix)) app.use(middleware)

  app.get('/', (_req, res, next) => {
    if (spec.app === 'prebuilt') {
      res.type('html').send(prebuilt)
      return
    }
    if (spec.app === 'small') {
      res.type(JSON_TYPE).send(renderSmallBody())
      return
    }
    loadFrontPage().then((page) => res.type(HTML).send(page), next)
  })
  const listener = app as unknown as RequestListener
  const fronted = spec.mount === 'front' ? front(app, frontLayerOptions(spec)) : undefined
  return {
    value:
      fronted ??
      (brisk !== undefined && spec.mount === 'withBrisk' ? withBrisk(brisk.value, listener) : listener),
    close,
    ...(stats === undefined ? {} : { stats }),
  }
}

function expressPeerLayers(spec: ServerSpec, redis: () => Redis, prefix: string): RequestHandler[] {
  const cached = (): RequestHandler => apicache.newInstance({}).middleware('10 minutes')
  switch (spec.layer) {
    case 'apicache':
      return [cached()]
    case 'compression':
      return [compression()]
    case 'peer-stack':
      // The usual order: compression outermost, apicache inside it (it stores the uncompressed body).
      return [compression(), cached()]
    case 'ratelimit-fields-static':
      return [
        (_req, res, next) => {
          for (const [name, value] of STATIC_RATELIMIT_FIELDS) res.setHeader(name, value)
          next()
        },
      ]
    case 'express-rate-limit':
      return [
        expressRateLimit({
          windowMs: 60_000,
          limit: UNREACHED_LIMIT,
          standardHeaders: 'draft-8',
          legacyHeaders: false,
        }),
      ]
    case 'express-rate-limit-redis': {
      const client = redis()
      return [
        expressRateLimit({
          windowMs: 60_000,
          limit: UNREACHED_LIMIT,
          standardHeaders: 'draft-8',
          legacyHeaders: false,
          store: new RateLimitRedisStore({
            prefix: `${prefix}erl:`,
            sendCommand: (command: string, ...args: string[]) =>
              client.call(command, ...args) as Promise<RedisReply>,
          }),
        }),
      ]
    }
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

/** rate-limiter-flexible ships no middleware; this is the one its README writes for Express. */
function flexible(limiter: RateLimiterAbstract): RequestHandler {
  return (req, res, next) => {
    limiter.consume(req.ip ?? 'unknown').then(
      () => next(),
      () => res.status(429).send('Too Many Requests'),
    )
  }
}
