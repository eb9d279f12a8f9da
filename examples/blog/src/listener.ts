import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { withBrisk } from '@brisk/node'
import type { Blog } from './blog.js'
import { observeResponse } from './observe.js'

/**
 * The listener a server runs, around the framework's own: observation (request log and
 * response counts) outermost, so it sees what brisk answers alone (304s, hits, 429s) too;
 * with `BRISK_MODE=front`, the brisk stack then answers what it can before the framework
 * runs at all (`@brisk/node`), which DESIGN.md measured at about three times the `app.use`
 * throughput for hits on Express.
 */
export function blogListener(blog: Blog, appListener: RequestListener): RequestListener {
  const stack = blog.brisk.middleware
  const inner =
    stack === undefined || blog.config.brisk.mode !== 'front'
      ? appListener
      : withBrisk(stack, appListener, { logger: blog.logger })
  return (req: IncomingMessage, res: ServerResponse) => {
    observeResponse(req, res, blog.prometheus, blog.requestLogger)
    inner(req, res)
  }
}
