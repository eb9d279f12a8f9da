import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Blog } from './blog.js'

/** Listens on the configured port, prints the URL, and closes cleanly on SIGINT/SIGTERM. */
export function serve(framework: string, listener: RequestListener, blog: Blog): void {
  const server = createServer(listener)
  server.listen(blog.config.port, () => {
    const { port } = server.address() as AddressInfo
    const brisk =
      blog.brisk.enabled.length === 0
        ? 'no brisk middleware'
        : `brisk ${blog.config.brisk.mode} mode: ${blog.brisk.enabled.join(' → ')}`
    console.log(`blog (${framework}, ${brisk}) listening on http://localhost:${port}/`)
  })
  const stop = () => {
    server.close(() => void blog.close().then(() => process.exit(0)))
    server.closeIdleConnections()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
