/**
 * One server of the front-mode hit-path measurement (run.ts starts it pinned to core 0):
 * `node --conditions=brisk-source --import tsx bench/front/server.ts <kind> <port>`.
 * Every app renders the ~45 KB page per request after a 5 ms wait (bench/src/page.ts); the
 * cached kinds are measured on hits only (run.ts warms them first).
 */
import { createServer, type RequestListener } from 'node:http'
import { front as expressFront, stack as expressStack } from '@brisk/express'
import { front as koaFront, stack as koaStack } from '@brisk/koa'
import apicache from 'apicache'
import express from 'express'
import Koa from 'koa'
import { HTML, loadFrontPage, prebuiltFrontPage } from '../src/page.js'

export const KINDS = [
  'raw',
  'express-front',
  'express-apicache',
  'koa-front',
  'express-middleware',
  'express-ceiling',
  'koa-middleware',
  'koa-ceiling',
] as const
export type Kind = (typeof KINDS)[number]

const CACHE = { cache: { ttl: '10m' }, compress: false, conditional: true, logger: false } as const

function expressApp(first?: express.RequestHandler): express.Express {
  const app = express()
  if (first !== undefined) app.use(first)
  app.get('/', (_req, res, next) => void loadFrontPage().then((page) => res.type(HTML).send(page), next))
  return app
}

function koaApp(first?: Koa.Middleware): Koa {
  const app = new Koa()
  if (first !== undefined) app.use(first)
  app.use(async (ctx) => {
    ctx.type = HTML
    ctx.body = await loadFrontPage()
  })
  return app
}

function listener(kind: Kind): RequestListener {
  const page = prebuiltFrontPage()
  switch (kind) {
    case 'raw':
      // The floor every front-mode hit is compared to: node:http writing the same bytes.
      return (_req, res) => {
        res.setHeader('content-type', HTML)
        res.setHeader('content-length', page.length)
        res.end(page)
      }
    case 'express-front':
      return expressFront(expressApp(), CACHE)
    case 'express-apicache':
      return expressApp(apicache.newInstance({}).middleware('10 minutes')) as unknown as RequestListener
    case 'koa-front':
      return koaFront(koaApp(), CACHE)
    case 'express-middleware':
      return expressApp(expressStack(CACHE)) as unknown as RequestListener
    case 'express-ceiling':
      // The framework's own ceiling: a first middleware writing a prebuilt Buffer.
      return expressApp((_req, res) => void res.type(HTML).send(page)) as unknown as RequestListener
    case 'koa-middleware':
      return koaApp(koaStack(CACHE)).callback()
    case 'koa-ceiling':
      return koaApp((ctx) => {
        ctx.type = HTML
        ctx.body = page
      }).callback()
  }
}

const [kind, port] = process.argv.slice(2)
if (!KINDS.includes(kind as Kind)) throw new Error(`kind must be one of ${KINDS.join(', ')}`)
const server = createServer(listener(kind as Kind))
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
