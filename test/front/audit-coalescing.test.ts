/**
 * Black-box audit, from the READMEs: identical concurrent misses are coalesced the same way in
 * middleware mode and front mode on every framework: the app renders once, every client gets
 * its answer, the waiting ones marked `collapsed` in Cache-Status. The app holds the first
 * request until the server has received all of them, so the overlap is certain, not timed.
 */
import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import * as briskExpress from '@brisk/express'
import * as briskKoa from '@brisk/koa'
import { front as nodeFront, withBrisk } from '@brisk/node'
import { createStack, type StackOptions } from '@brisk/stack'
import express from 'express'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express
const Koa2 = require('koa2') as typeof Koa

const CLIENTS = 12
type Framework = 'Express 4' | 'Express 5' | 'Koa 2' | 'Koa 3' | 'node:http'
const FRAMEWORKS: readonly Framework[] = ['Express 4', 'Express 5', 'Koa 2', 'Koa 3', 'node:http']

interface Gate {
  renders: number
  release: () => void
  held: Promise<void>
}

function gate(): Gate {
  let release = (): void => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  return { renders: 0, release, held }
}

function build(framework: Framework, mode: 'middleware' | 'front', g: Gate): RequestListener {
  const options: StackOptions = { cache: { ttl: '1m' }, compress: false, logger: false }
  const render = async (): Promise<string> => {
    const n = ++g.renders
    await g.held
    return `rendered ${n}`
  }
  if (framework === 'Express 4' || framework === 'Express 5') {
    const app = (framework === 'Express 4' ? express4 : express)()
    if (mode === 'middleware') app.use(briskExpress.stack(options))
    app.get('/page', (_req, res) => void render().then((body) => res.send(body)))
    return mode === 'front'
      ? briskExpress.front(app as unknown as briskExpress.ExpressApp, options)
      : (app as unknown as RequestListener)
  }
  if (framework === 'Koa 2' || framework === 'Koa 3') {
    const app = new (framework === 'Koa 2' ? Koa2 : Koa)()
    if (mode === 'middleware') app.use(briskKoa.stack(options))
    app.use(async (ctx) => {
      ctx.body = await render()
    })
    return mode === 'front' ? briskKoa.front(app, options) : (app.callback() as RequestListener)
  }
  const listener: RequestListener = (_req, res) => void render().then((body) => res.end(body))
  return mode === 'front'
    ? nodeFront(listener, options)
    : (withBrisk(createStack(options), listener, { logger: false }) as RequestListener)
}

function get(port: number): Promise<{ body: string; cacheStatus: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/page', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ body, cacheStatus: String(res.headers['cache-status']) }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function run(
  framework: Framework,
  mode: 'middleware' | 'front',
): Promise<{ renders: number; answers: string[] }> {
  const g = gate()
  const server: Server = createServer(build(framework, mode, g))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  let received = 0
  const allReceived = new Promise<void>((resolve) =>
    server.on('request', () => {
      if (++received === CLIENTS) resolve()
    }),
  )
  try {
    const port = (server.address() as AddressInfo).port
    const responses = Promise.all(Array.from({ length: CLIENTS }, () => get(port)))
    await allReceived
    // Each request's cache lookup settles within a few turns of the loop (memory store).
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    g.release()
    const answers = (await responses).map(({ body, cacheStatus }) => `${body} | ${cacheStatus}`)
    return { renders: g.renders, answers: answers.sort() }
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

describe.each(FRAMEWORKS)('coalescing on %s', (framework) => {
  it('renders once for concurrent identical misses, the same in middleware and front mode', async () => {
    const middleware = await run(framework, 'middleware')
    const front = await run(framework, 'front')
    expect(middleware.renders).toBe(1)
    expect(front).toEqual(middleware)
    expect(front.answers.filter((answer) => answer.includes('collapsed'))).toHaveLength(CLIENTS - 1)
    expect(front.answers.every((answer) => answer.startsWith('rendered 1 |'))).toBe(true)
  })
})
