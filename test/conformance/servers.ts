import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import type { BriskMiddleware } from '@brisk/core'
import { front as expressFront, toExpress, type ExpressApp } from '@brisk/express'
import { front as koaFront, toKoa } from '@brisk/koa'
import { front as nodeFront, withBrisk, type FrontOptions } from '@brisk/node'
import express, { type ErrorRequestHandler } from 'express'
import Koa from 'koa'
import type { ConformanceCase } from './cases.js'

// The aliases have no types of their own; @types/express and @types/koa describe both majors.
const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

export type Framework = 'node' | 'express4' | 'express5' | 'koa2' | 'koa3'
export const FRAMEWORKS: Framework[] = ['node', 'express4', 'express5', 'koa2', 'koa3']

/** Case name in the path, so one server per framework and mode serves the whole table. */
export function casePath(name: string): string {
  return `/${encodeURIComponent(name)}`
}

function caseOf(cases: ConformanceCase[], url: string | undefined): ConformanceCase | undefined {
  const name = decodeURIComponent((url ?? '/').slice(1).split('?')[0] ?? '')
  return cases.find((entry) => entry.name === name)
}

/**
 * A plain node:http app: it owns its error handling (node:http has none), answering a throw
 * with a 500 the way a small app would.
 */
function nodeApp(cases: ConformanceCase[]): RequestListener {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const entry = caseOf(cases, req.url)
      if (entry === undefined) return void res.writeHead(404).end()
      await entry.node(req, res)
    } catch {
      if (res.headersSent) return void res.destroy()
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal Server Error')
    }
  }
}

function expressApp(
  make: typeof express,
  cases: ConformanceCase[],
  middleware?: BriskMiddleware,
): RequestListener {
  const app = make()
  if (middleware !== undefined) app.use(toExpress(middleware))
  for (const entry of cases) app.all(casePath(entry.name), entry.express)
  // The app's own error middleware: a route's error must still reach it with brisk in front.
  app.use(((error: Error, _req, res, _next) => {
    res.status(500).type('text').set('X-Error', error.message).send('Internal Server Error')
  }) as ErrorRequestHandler)
  return app
}

function koaApp(KoaApp: typeof Koa, cases: ConformanceCase[], middleware?: BriskMiddleware): RequestListener {
  return koaInstance(KoaApp, cases, middleware).callback()
}

function koaInstance(KoaApp: typeof Koa, cases: ConformanceCase[], middleware?: BriskMiddleware): Koa {
  const app = new KoaApp()
  app.silent = true
  if (middleware !== undefined) app.use(toKoa(middleware))
  app.use(async (ctx, next) => {
    const entry = caseOf(cases, ctx.url)
    if (entry === undefined) return next()
    await entry.koa(ctx, next)
  })
  return app
}

export interface RunningServer {
  server: Server
  port: number
  /** Server-side sockets, to watch their listeners across keep-alive requests. */
  sockets: Socket[]
  close(): Promise<void>
}

/**
 * How brisk is mounted: not at all, as the framework's middleware (`app.use`), or in front of
 * the whole app's request listener (what front mode will build on: `withBrisk(mw, app)`).
 */
export type Mount = 'none' | 'middleware' | 'front'

function appListener(framework: Framework, cases: ConformanceCase[], middleware?: BriskMiddleware) {
  switch (framework) {
    case 'node':
      return middleware === undefined ? nodeApp(cases) : withBrisk(middleware, nodeApp(cases))
    case 'express4':
      return expressApp(express4, cases, middleware)
    case 'express5':
      return expressApp(express, cases, middleware)
    case 'koa2':
      return koaApp(Koa2, cases, middleware)
    case 'koa3':
      return koaApp(Koa, cases, middleware)
  }
}

/**
 * The app behind each framework's own front mode: `front(app, options)` from `@brisk/node`,
 * `@brisk/express` (the Express app itself) or `@brisk/koa` (the Koa app).
 */
function frontListener(
  framework: Framework,
  cases: ConformanceCase[],
  options: FrontOptions,
): RequestListener {
  const { trustProxy: _trust, clientAddress: _address, ...shared } = options
  switch (framework) {
    case 'node':
      return nodeFront(nodeApp(cases), options)
    case 'express4':
      return expressFront(expressApp(express4, cases) as unknown as ExpressApp, shared)
    case 'express5':
      return expressFront(expressApp(express, cases) as unknown as ExpressApp, shared)
    case 'koa2':
      return koaFront(koaInstance(Koa2, cases), shared)
    case 'koa3':
      return koaFront(koaInstance(Koa, cases), shared)
  }
}

/** Starts `framework` serving every case behind its own `front(app, options)`. */
export function startFrontServer(
  framework: Framework,
  cases: ConformanceCase[],
  options: FrontOptions,
): Promise<RunningServer> {
  return listenOn(frontListener(framework, cases, options))
}

/** Starts `framework` serving every case, with `middleware` mounted as `mount` says. */
export async function startServer(
  framework: Framework,
  cases: ConformanceCase[],
  middleware?: BriskMiddleware,
  mount: Mount = middleware === undefined ? 'none' : 'middleware',
): Promise<RunningServer> {
  const listener: RequestListener =
    mount === 'front' && middleware !== undefined
      ? withBrisk(middleware, appListener(framework, cases))
      : appListener(framework, cases, mount === 'none' ? undefined : middleware)
  return listenOn(listener)
}

async function listenOn(listener: RequestListener): Promise<RunningServer> {
  const server = createServer(listener)
  const sockets: Socket[] = []
  server.on('connection', (socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    server,
    port,
    sockets,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
