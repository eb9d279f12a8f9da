import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { withBrisk } from '@brisk/node'
import type { Blog } from './blog.js'
import { observeResponse } from './observe.js'

/**
 * The listener a server runs, around the framework's own: observation (request log and
 * response counts) outermost, so it sees what brisk answers alone (304s, hits, 429s) too;
 * then the brisk stack, in front of the framework (front mode, `@brisk/node`).
 */
export function blogListener(blog: Blog, appListener: RequestListener): RequestListener {
  const stack = blog.brisk.middleware
  const inner = stack === undefined ? appListener : withBrisk(stack, appListener, { logger: blog.logger })
  return (req: IncomingMessage, res: ServerResponse) => {
    observeResponse(req, res, blog.prometheus, blog.requestLogger)
    inner(req, res)
  }
}
