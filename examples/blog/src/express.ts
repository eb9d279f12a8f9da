import { pathToFileURL } from 'node:url'
import { toExpress } from '@brisk/express'
import express, { type ErrorRequestHandler, type Express, type Response } from 'express'
import { createBlog } from './blog.js'
import { loadConfig, type BlogConfig } from './config.js'
import type { BlogApp } from './koa.js'
import { blogListener } from './listener.js'
import { errorRoute, notFoundRoute } from './routes.js'
import { runRoute, type FinalResponse } from './run-route.js'
import { serve } from './serve.js'

/** The blog on Express: framework glue only; everything else is shared with the Koa app. */
export function createApp(config: BlogConfig = loadConfig()): BlogApp<Express> {
  const blog = createBlog(config)
  const app = express()
  app.disable('x-powered-by')
  // ETags and 304s are brisk's job (BRISK_CONDITIONAL); Express's own would hide whether it works.
  app.set('etag', false)
  // brisk plugs in here, once, in front of the routes (brisk.ts builds the stack).
  if (blog.config.brisk.mode === 'middleware' && blog.brisk.middleware !== undefined) {
    app.use(toExpress(blog.brisk.middleware))
  }
  const router = express.Router()
  for (const route of blog.routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'
    router[method](route.path, (req, res, next) => {
      runRoute(blog, route, req, req.params as Record<string, string>).then(
        (response) => send(res, response),
        next,
      )
    })
  }
  app.use(router)
  app.use((req, res, next) => {
    runRoute(blog, notFoundRoute, req, {}).then((response) => send(res, response), next)
  })
  // Errors Express raises itself (a malformed percent-encoding in a path parameter is a 400).
  const onError: ErrorRequestHandler = (error: { status?: unknown }, req, res, next) => {
    if (res.headersSent) return next(error)
    const status =
      typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500
    if (status === 500) blog.logger.error({ err: error, url: req.url }, 'request failed')
    runRoute(blog, errorRoute(status, 'The request could not be handled.'), req, {}).then(
      (response) => send(res, response),
      next,
    )
  }
  app.use(onError)
  return { app, listener: blogListener(blog, app), blog, close: () => blog.close() }
}

function send(res: Response, response: FinalResponse): void {
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (response.body === undefined) {
    res.end()
    return
  }
  res.setHeader('content-length', Buffer.byteLength(response.body))
  res.end(response.body)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const blogApp = createApp()
  serve('express', blogApp.listener, blogApp.blog)
}
