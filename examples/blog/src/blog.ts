import type Database from 'better-sqlite3'
import { BriskMetrics } from '@brisk/core'
import { pino, type Logger } from 'pino'
import { briskStack, type BriskStack } from './brisk.js'
import type { BlogConfig } from './config.js'
import { BlogFragments } from './fragments.js'
import { PrometheusMetrics } from './prometheus.js'
import { Purge } from './purge.js'
import { BlogQueries } from './queries.js'
import { QueryCache } from './query-cache.js'
import { Renderer } from './render.js'
import type { Route } from './route.js'
import { blogRoutes } from './routes.js'
import { openDatabase } from './schema.js'
import { seedDatabase } from './seed.js'
import { SessionCodec } from './session.js'
import { StaticAssets } from './static-assets.js'

/** Everything about the blog that is not framework glue, shared by the Koa and Express apps. */
export interface Blog {
  config: BlogConfig
  db: Database.Database
  queries: BlogQueries
  renderer: Renderer
  sessions: SessionCodec
  /** Counters brisk's middlewares report to (one set per app, so apps in one process stay apart). */
  briskMetrics: BriskMetrics
  prometheus: PrometheusMetrics
  brisk: BriskStack
  /** Application log (errors, start-up). */
  logger: Logger
  /** One line per request, when `LOG_REQUESTS=1`. */
  requestLogger: Logger | undefined
  routes: Route[]
  /** Closes the brisk stores and the database. */
  close(): Promise<void>
}

export const SITE_NAME = 'The Brisk Journal'

/** Opens and seeds the database, and builds the renderer, sessions, metrics and brisk stack. */
export function createBlog(config: BlogConfig): Blog {
  const logger = pino({ name: 'blog', level: config.logLevel })
  const db = openDatabase(config.databasePath)
  seedDatabase(db, config.seedPosts)
  const queries = new BlogQueries(db)
  const assets = new StaticAssets()
  const renderer = new Renderer(SITE_NAME, assets.urls)
  const sessions = new SessionCodec(config.sessionSecret, config.secureCookies)
  const briskMetrics = new BriskMetrics()
  const prometheus = new PrometheusMetrics(briskMetrics)
  const brisk = briskStack(config.brisk, briskMetrics, logger)
  const purge = new Purge(logger, brisk.purgeTags)
  const fragments = new BlogFragments(queries, new QueryCache(brisk.data))
  const routes = blogRoutes({ queries, renderer, sessions, purge, fragments }, assets, prometheus)
  return {
    config,
    db,
    queries,
    renderer,
    sessions,
    briskMetrics,
    prometheus,
    brisk,
    logger,
    requestLogger: config.logRequests ? logger.child({ component: 'http' }) : undefined,
    routes,
    async close() {
      await brisk.close()
      db.close()
    },
  }
}
