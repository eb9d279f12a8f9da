import { accountRoutes } from './account.js'
import { adminRoutes } from './admin.js'
import { apiRoutes } from './api.js'
import { pageRoutes } from './pages.js'
import type { PrometheusMetrics } from './prometheus.js'
import { HttpError, type Route, type RouteDeps } from './route.js'
import type { StaticAssets } from './static-assets.js'

/** Every route of the blog: the one table both Koa and Express register. */
export function blogRoutes(deps: RouteDeps, assets: StaticAssets, metrics: PrometheusMetrics): Route[] {
  return [
    ...pageRoutes(deps),
    ...apiRoutes(deps),
    ...accountRoutes(deps),
    ...adminRoutes(deps),
    {
      method: 'GET',
      path: '/static/:file',
      handler(req) {
        const asset = assets.get(req.url.pathname)
        if (asset === undefined) throw new HttpError(404, 'No such file')
        // Cache-Control comes from brisk's policy (brisk.ts): hashed names are immutable.
        return { status: 200, type: asset.type, body: asset.body, cache: 'policy' }
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handler() {
        return { status: 200, type: metrics.contentType, body: await metrics.text(), cache: 'no-store' }
      },
    },
  ]
}

/** A route that answers `status` with the blog's error page, for the frameworks' fallbacks. */
export function errorRoute(status: number, message: string): Route {
  return {
    method: 'GET',
    path: '*',
    handler() {
      throw new HttpError(status, message)
    },
  }
}

/** What answers a request no route matched. */
export const notFoundRoute = errorRoute(404, 'There is nothing at this address.')
