/**
 * What a benchmark server is, as plain data: the harness sends it to a child process, which
 * builds the app from it (so each server runs alone on its pinned core).
 */

/** The framework serving the route (`node` is a bare `node:http` listener). */
export type Framework = 'node' | 'koa3' | 'express5' | 'express4'

/** Which application sits behind the middleware under test. */
export type AppKind =
  /** raw node:http writing the prebuilt page's bytes (node only) */
  | 'raw'
  /** raw node:http writing what a brisk hit writes: the page and the same five header fields (node only) */
  | 'raw-hit'
  /** a route sending the page's bytes built once: the framework's bare cost */
  | 'prebuilt'
  /** a first middleware writing the prebuilt Buffer: the framework's middleware ceiling */
  | 'ceiling'
  /** the same first middleware writing a hit's bytes: the page and a hit's five header fields (Express only) */
  | 'ceiling-hit'
  /** a route rendering the ~45 KB page per request after a 5 ms "database" wait */
  | 'page'
  /** a route rendering a ~1 KB JSON body per request, no wait (rate-limit scenarios) */
  | 'small'
  /** the example blog's home page (examples/blog createApp) */
  | 'blog'

/** The middleware under test, installed in front of the route the usual way for its framework. */
export type Layer =
  | 'none'
  | 'brisk-cache-memory'
  | 'brisk-cache-redis'
  | 'brisk-cache-tiered'
  | 'koa-cash'
  | 'apicache'
  | 'brisk-compress'
  | 'koa-compress'
  | 'compression'
  | 'brisk-stack'
  | 'peer-stack'
  | 'brisk-conditional'
  | 'brisk-conditional-cache'
  | 'express-etag'
  | 'brisk-ratelimit-memory'
  | 'brisk-ratelimit-redis'
  | 'brisk-ratelimit-memory-noheaders'
  | 'ratelimit-fields-static'
  | 'express-rate-limit'
  | 'express-rate-limit-redis'
  | 'rlf-memory'
  | 'rlf-redis'
  | 'koa-ratelimit-memory'
  | 'koa-ratelimit-redis'

export interface ServerSpec {
  framework: Framework
  app: AppKind
  /** Default `none`. */
  layer?: Layer
  /** Where the brisk layer sits: `app.use` (default, middleware mode), `withBrisk` from @brisk/node around the app's listener, or the framework adapter's `front(app, options)` (front mode). */
  mount?: 'use' | 'withBrisk' | 'front'
  /** Byte bound of brisk's memory store (scale scenario). Default `'64 MB'`. */
  storeMaxSize?: string
  /** For `blog`: run the blog with its own brisk stack on (memory store) instead of all brisk switches off. */
  blogBrisk?: boolean
  /** Redis server and this server's private key prefix; filled in by the harness. */
  redis?: { url: string; prefix: string }
}

/** Layers that talk to Redis (the harness gives them a prefix and deletes its keys afterwards). */
export function usesRedis(spec: ServerSpec): boolean {
  return spec.layer !== undefined && /redis|tiered/.test(spec.layer)
}

/**
 * How long brisk's cache keeps the benchmark's entries: longer than any run, so every measured
 * request after the warm-up is a hit (and the raw listener writing a hit's bytes formats the
 * same ttl).
 */
export const CACHE_TTL_SECONDS = 600
