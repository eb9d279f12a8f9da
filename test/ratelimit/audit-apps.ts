/**
 * Apps built the way the READMEs document, for the black-box audit of the limiter: on Koa 2/3,
 * Express 4/5 and node:http, the limiter alone (`app.use(rateLimit(…))`, `withBrisk`), inside
 * `stack()` (middleware mode) and in front mode (`front(app, { rateLimit })`). Every app answers
 * `ok` and counts how often it ran, so a test can tell a 429 never entered the framework.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import * as briskExpress from '@brisk/express'
import * as briskKoa from '@brisk/koa'
import { front as nodeFront, withBrisk, type TrustProxy } from '@brisk/node'
import { rateLimit, type RateLimitOptions } from '@brisk/ratelimit'
import { createStack, type StackOptions } from '@brisk/stack'
import express from 'express'
import Koa from 'koa'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

export type Mode = 'alone' | 'stack' | 'front'
export type Framework = 'Koa 2' | 'Koa 3' | 'Express 4' | 'Express 5' | 'node:http'
export const FRAMEWORKS: readonly Framework[] = ['Koa 2', 'Koa 3', 'Express 4', 'Express 5', 'node:http']
export const MODES: readonly Mode[] = ['alone', 'stack', 'front']

/**
 * Proxy trust as a user sets it on each framework (README "Client address"): Express's
 * `trust proxy` value, node's `trustProxy`; on Koa anything but `false` means `app.proxy = true`.
 */
export type Trust = TrustProxy

export interface AuditApp {
  listener: RequestListener
  /** How many requests reached the app's own handler. */
  readonly ran: number
  /** The limiter's `reset(key)`, where the mode exposes it (alone). */
  reset?: (key: string) => Promise<void>
  /** Express's `app.set(name, value)`, for settings changed after the app was built. */
  set?: (name: string, value: unknown) => void
}

export interface BuildOptions {
  rateLimit: RateLimitOptions
  trust?: Trust
  /** Koa's other proxy settings. */
  koa?: { proxyIpHeader?: string; maxIpsCount?: number }
  /** Extra stack/front options (cache, compress…); the limiter is always `rateLimit`. */
  stack?: Omit<StackOptions, 'rateLimit'>
  /** The app's answer; default `ok` as text/plain. `ip` is the framework's own `ctx.ip` / `req.ip`. */
  handler?: (req: IncomingMessage, ip: string | undefined) => Answer
}

export interface Answer {
  status?: number
  headers?: Record<string, string>
  body: string
}

const defaultHandler = (): Answer => ({ body: 'ok' })

export function buildApp(framework: Framework, mode: Mode, options: BuildOptions): AuditApp {
  const handler = options.handler ?? defaultHandler
  const trust = options.trust ?? false
  const stackOptions: StackOptions = { logger: false, ...options.stack, rateLimit: options.rateLimit }
  const state = { ran: 0 }
  const app: AuditApp = {
    listener: () => undefined,
    get ran() {
      return state.ran
    },
  }
  const answer = (req: IncomingMessage, ip: string | undefined): Answer => {
    state.ran++
    return handler(req, ip)
  }

  if (framework === 'Koa 2' || framework === 'Koa 3') {
    const KoaClass = framework === 'Koa 2' ? Koa2 : Koa
    const koa = new KoaClass()
    if (trust !== false) koa.proxy = true
    if (options.koa?.proxyIpHeader !== undefined) koa.proxyIpHeader = options.koa.proxyIpHeader
    if (options.koa?.maxIpsCount !== undefined) koa.maxIpsCount = options.koa.maxIpsCount
    if (mode === 'alone') {
      const limiter = briskKoa.rateLimit(options.rateLimit)
      app.reset = (key) => limiter.reset(key)
      koa.use(limiter)
    } else if (mode === 'stack') koa.use(briskKoa.stack(stackOptions))
    koa.use((ctx) => {
      const { status, headers, body } = answer(ctx.req, ctx.ip)
      if (status !== undefined) ctx.status = status
      if (headers !== undefined) ctx.set(headers)
      ctx.type = headers?.['content-type'] ?? 'text/plain'
      ctx.body = body
    })
    app.listener =
      mode === 'front' ? briskKoa.front(koa, stackOptions) : (koa.callback() as unknown as RequestListener)
    return app
  }

  if (framework === 'Express 4' || framework === 'Express 5') {
    const make = framework === 'Express 4' ? express4 : express
    const server = make()
    server.set('trust proxy', trust)
    app.set = (name, value) => void server.set(name, value)
    if (mode === 'alone') {
      const limiter = briskExpress.rateLimit(options.rateLimit)
      app.reset = (key) => limiter.reset(key)
      server.use(limiter)
    } else if (mode === 'stack') server.use(briskExpress.stack(stackOptions))
    server.use((req, res) => {
      const { status, headers, body } = answer(req, req.ip)
      res.status(status ?? 200)
      res.set({ 'content-type': 'text/plain; charset=utf-8', ...headers })
      res.send(body)
    })
    app.listener =
      mode === 'front'
        ? briskExpress.front(server as unknown as briskExpress.ExpressApp, stackOptions)
        : (server as unknown as RequestListener)
    return app
  }

  const listener: RequestListener = (req, res) => {
    const { status, headers, body } = answer(req, undefined)
    res.writeHead(status ?? 200, { 'content-type': 'text/plain; charset=utf-8', ...headers })
    res.end(body)
  }
  const trustProxy = trust
  if (mode === 'alone') {
    const limiter = rateLimit(options.rateLimit)
    app.reset = (key) => limiter.reset(key)
    app.listener = withBrisk(limiter, listener, { trustProxy, logger: false }) as RequestListener
  } else if (mode === 'stack') {
    app.listener = withBrisk(createStack(stackOptions), listener, {
      trustProxy,
      logger: false,
    }) as RequestListener
  } else app.listener = nodeFront(listener, { ...stackOptions, trustProxy })
  return app
}

/** Listens on a free loopback port (`host` `::` for a dual-stack socket). */
export async function listenOn(listener: RequestListener, host = '127.0.0.1'): Promise<Server> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return server
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}
