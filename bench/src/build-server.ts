import type { RequestListener } from 'node:http'
import type { Built } from './brisk-layers.js'
import type { ServerSpec } from './server-spec.js'

/** Builds the request listener a spec describes (imports only the framework it needs). */
export async function buildServer(spec: ServerSpec): Promise<Built<RequestListener>> {
  if (spec.app === 'blog') return (await import('./blog-app.js')).buildBlog(spec)
  switch (spec.framework) {
    case 'node': {
      const node = await import('./node-app.js')
      return spec.app === 'raw-hit' ? node.buildRawHit() : node.buildRawNode()
    }
    case 'koa3':
      return (await import('./koa-app.js')).buildKoa(spec)
    case 'express5':
    case 'express4':
      return (await import('./express-app.js')).buildExpress(spec)
  }
}
