import type { RequestListener } from 'node:http'
import type { Built } from './brisk-layers.js'
import type { ServerSpec } from './server-spec.js'

/**
 * The example blog (examples/blog) on Koa or Express 5, its SQLite seeded in memory. Uncached:
 * every brisk switch off. With `blogBrisk`: its own stack on the memory store, the limit raised
 * so the load never reaches it.
 */
export async function buildBlog(spec: ServerSpec): Promise<Built<RequestListener>> {
  const { testConfig } = await import('@brisk/example-blog/src/config.js')
  const on = spec.blogBrisk === true
  const config = testConfig({
    brisk: {
      mode: spec.mount === 'withBrisk' ? 'front' : 'middleware',
      cache: on,
      compress: on,
      conditional: on,
      rateLimit: on,
      store: 'memory',
      requestsPerMinute: 1_000_000,
    },
  })
  const blogApp =
    spec.framework === 'koa3'
      ? (await import('@brisk/example-blog/src/koa.js')).createApp(config)
      : (await import('@brisk/example-blog/src/express.js')).createApp(config)
  return { value: blogApp.listener, close: () => blogApp.close() }
}
