import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { BlogFragments } from './fragments.js'
import type { Purge } from './purge.js'
import type { BlogQueries } from './queries.js'
import type { Renderer } from './render.js'
import type { Session, SessionCodec } from './session.js'
import type { ServerTiming } from './server-timing.js'

/**
 * How a response may be kept, named by intent; {@link cacheControlFor} turns it into the
 * header. Public pages carry no per-user content, so a shared cache can keep them.
 */
export type CachePolicy =
  /** Same for everyone; brisk's shared cache keeps it, browsers revalidate every time. */
  | 'shared'
  /** Content-hashed static file: never changes under its name. */
  | 'immutable'
  /** One user's page (account, admin): nobody may store it. */
  | 'private'
  /** Same for everyone but not worth storing (search, metrics, forms, errors). */
  | 'no-store'
  /** Left to brisk's declarative policy (`cacheControl()` rules in `brisk.ts`), e.g. static files. */
  | 'policy'

const CACHE_CONTROL: Record<Exclude<CachePolicy, 'policy'>, string> = {
  // max-age=0 makes browsers revalidate (cheap 304s through brisk's ETags); s-maxage lets
  // the shared cache answer for five minutes, and an edit purges it by tag at once.
  shared: 'public, max-age=0, s-maxage=300',
  immutable: 'public, max-age=31536000, immutable',
  private: 'private, no-store',
  'no-store': 'no-store',
}

/** The `Cache-Control` value for a policy; undefined when brisk's policy decides. */
export function cacheControlFor(policy: CachePolicy): string | undefined {
  return policy === 'policy' ? undefined : CACHE_CONTROL[policy]
}

/** What a route handler sees: plain values, the same under Koa and Express. */
export interface RouteRequest {
  /** Upper-case method. */
  method: string
  /** The request target, parsed (the origin is a placeholder). */
  url: URL
  /** Path parameters, as the framework's router matched them. */
  params: Readonly<Record<string, string>>
  headers: IncomingHttpHeaders
  /** The Node request, for reading a body. */
  raw: IncomingMessage
  /** The signed-in user's session, if the cookie is valid. */
  session: Session | undefined
  /** Collects `Server-Timing` entries for this response. */
  timing: ServerTiming
}

/** What a route handler answers; the framework glue writes it. */
export interface RouteResult {
  status: number
  /** Content type of `body`. */
  type?: string
  body?: string | Buffer
  /** Extra header fields (lower-case names), e.g. `location`, `set-cookie`. */
  headers?: Record<string, string | string[]>
  cache: CachePolicy
  /** Cache tags, for purging (`post:42`, `list`, `tag:redis`). */
  tags?: readonly string[]
}

export type RouteHandler = (req: RouteRequest) => RouteResult | Promise<RouteResult>

/** One route of the blog; both entry points register the same table. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** A path pattern both routers read: `/posts/:id`. */
  path: string
  handler: RouteHandler
}

/** An error that is the client's fault and has a proper HTTP answer. */
export class HttpError extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.name = 'HttpError'
    this.status = status
  }
}

/** What route handlers need from the blog. */
export interface RouteDeps {
  queries: BlogQueries
  renderer: Renderer
  sessions: SessionCodec
  purge: Purge
  /** Cached pieces of the public pages (data cache). */
  fragments: BlogFragments
}
