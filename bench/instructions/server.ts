/**
 * One server of the instruction count (count.sh runs it under callgrind): the `ratelimit-koa3`
 * route (1 KB JSON rendered per request) on Koa 3, with one of the layers that split what a
 * limiter costs. `node --conditions=brisk-source --import tsx bench/instructions/server.ts
 * <variant> <port>`; count.sh bundles it first, since callgrind counts of an unbundled tsx
 * process vary more.
 */
import { createServer, OutgoingMessage } from 'node:http'
import { admissionMiddleware, createBriskRequest } from '@brisk/core'
import { toKoa } from '@brisk/koa'
import { memoryStore, rateLimit } from '@brisk/ratelimit'
import Koa, { type Middleware } from 'koa'
import { STATIC_RATELIMIT_FIELDS, UNREACHED_LIMIT } from '../src/brisk-layers.js'
import { JSON_TYPE, renderSmallBody } from '../src/page.js'

const FIELDS = Object.fromEntries(STATIC_RATELIMIT_FIELDS.map(([name, value]) => [name.toLowerCase(), value]))
const limiter = (headers: boolean) =>
  rateLimit({ limit: UNREACHED_LIMIT, window: '1m', store: memoryStore(), headers })

/** The layer in front of the route, by variant: each adds one piece of what the limiter does. */
const VARIANTS: Record<string, () => Middleware | undefined> = {
  /** The route alone. */
  none: () => undefined,
  /** brisk's admission adapter with a decision that always passes: what the adapter costs. */
  pass: () => toKoa(admissionMiddleware(() => ({ headers: undefined }))),
  /** The same, reading the client address (Koa's `ctx.ip`). */
  ip: () => toKoa(admissionMiddleware((req) => ({ headers: req.clientAddress === '' ? FIELDS : undefined }))),
  /** The same, setting the two RateLimit fields as constants: what the fields cost. */
  fields: () => toKoa(admissionMiddleware(() => ({ headers: FIELDS }))),
  /** A plain Koa middleware setting the two fields. */
  static: () => (ctx, next) => {
    for (const [name, value] of STATIC_RATELIMIT_FIELDS) ctx.set(name, value)
    return next()
  },
  /** The same two fields by Node's `res.setHeader`, as brisk sets them (without Koa's `ctx.set`). */
  'static-setheader': () => (ctx, next) => {
    for (const [name, value] of STATIC_RATELIMIT_FIELDS) ctx.res.setHeader(name, value)
    return next()
  },
  /**
   * The same two fields stored straight into Node's own field map, as `setHeader` stores them but
   * without its validation and lower-casing: what those cost (not a way brisk sets fields).
   */
  'static-direct': () => {
    const outHeaders = Object.getOwnPropertySymbols(new OutgoingMessage()).find(
      (key) => key.description === 'kOutHeaders',
    )
    if (outHeaders === undefined) throw new Error('this Node keeps no field map under kOutHeaders')
    const fields = STATIC_RATELIMIT_FIELDS.map(([name, value]) => [name.toLowerCase(), name, value] as const)
    return (ctx, next) => {
      const res = ctx.res as unknown as Record<symbol, Record<string, unknown> | null>
      let map = res[outHeaders]
      if (map === null || map === undefined)
        res[outHeaders] = map = Object.create(null) as Record<string, unknown>
      for (const [key, name, value] of fields) map[key] = [name, value]
      return next()
    }
  },
  /** A plain Koa middleware calling the limiter's decision with an object literal as the request. */
  'admit-literal': () => {
    const { admit } = limiter(false)
    return (_ctx, next) => {
      void admit({ method: 'GET', url: '/', headers: {}, clientAddress: '127.0.0.1', hints: {} })
      return next()
    }
  },
  /** The same with the request the adapter makes. */
  'admit-request': () => {
    const { admit } = limiter(false)
    return (ctx, next) => {
      void admit(createBriskRequest(ctx.req, ctx.res, { clientAddress: () => ctx.ip, bindHints: false }))
      return next()
    }
  },
  /** brisk's memory limiter without its fields. */
  'limiter-noheaders': () => toKoa(limiter(false)),
  /** brisk's memory limiter as users run it. */
  limiter: () => toKoa(limiter(true)),
}

const [variant = 'none', port = '3000'] = process.argv.slice(2)
const layer = VARIANTS[variant]
if (layer === undefined) {
  console.error(`unknown variant ${variant}: ${Object.keys(VARIANTS).join(', ')}`)
  process.exit(2)
}
const app = new Koa()
const middleware = layer()
if (middleware !== undefined) app.use(middleware)
app.use((ctx) => {
  ctx.type = JSON_TYPE
  ctx.body = renderSmallBody()
})
createServer(app.callback()).listen(Number(port), '127.0.0.1', () => console.log('ready'))
process.on('SIGINT', () => process.exit(0))
