import type { RequestListener } from 'node:http'
import type { Built } from './brisk-layers.js'
import { HTML, prebuiltFrontPage } from './page.js'

/** The ceiling of ceilings: node:http writing the page's bytes, nothing else. */
export function buildRawNode(): Built<RequestListener> {
  const page = prebuiltFrontPage()
  const headers = { 'content-type': HTML, 'content-length': page.length }
  return {
    value: (_req, res) => {
      res.writeHead(200, headers)
      res.end(page)
    },
    close: async () => {},
  }
}
