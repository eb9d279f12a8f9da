import type { RequestListener } from 'node:http'
import { pathToFileURL } from 'node:url'
import { toKoa } from '@brisk/koa'
import Router from '@koa/router'
import Koa, { type Context } from 'koa'
import { createBlog, type Blog } from './blog.js'
import { loadConfig, type BlogConfig } from './config.js'
import { blogListener } from './listener.js'
import { notFoundRoute } from './routes.js'
import { runRoute, type FinalResponse } from './run-route.js'
import { serve } from './serve.js'

/** An app built in-process, for the server, tests and benchmarks. */
export interface BlogApp<App> {
  app: App
  /** The Node request listener (`http.createServer(listener)`, `supertest(listener)`). */
  listener: RequestListener
  blog: Blog
  close(): Promise<void>
}

/** The blog on Koa: framework glue only; everything else is shared with the Express app. */
export function createApp(config: BlogConfig = loadConfig()): BlogApp<Koa> {
  const blog = createBlog(config)
  const app = new Koa()
  // brisk plugs in here, once, in front of the routes (brisk.ts builds the stack).
  if (blog.config.brisk.mode === 'middleware' && blog.brisk.middleware !== undefined) {
    app.use(toKoa(blog.brisk.middleware))
  }
  const router = new Router()
  for (const route of blog.routes) {
    router.register(route.path, [route.method], async (ctx) => {
      send(ctx, await runRoute(blog, route, ctx.req, ctx.params))
    })
  }
  app.use(router.routes())
  app.use(async (ctx) => send(ctx, await runRoute(blog, notFoundRoute, ctx.req, {})))
  return { app, listener: blogListener(blog, app.callback()), blog, close: () => blog.close() }
}

function send(ctx: Context, response: FinalResponse): void {
  ctx.status = response.status
  for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value)
  if (response.body !== undefined) ctx.body = response.body
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const blogApp = createApp()
  serve('koa', blogApp.listener, blogApp.blog)
}
