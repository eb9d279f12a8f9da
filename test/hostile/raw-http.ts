/**
 * A raw HTTP/1.1 client for hostile-input tests: it sends header values and request targets
 * exactly as given (no client-side validation or decoding), bounds every exchange with a
 * deadline so a hang fails the test, and decodes the body by its Content-Encoding so a test
 * can compare what the client would finally read.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import { connect } from 'node:net'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Body bytes as they came over the wire (still encoded). */
  raw: Buffer
  /** Body bytes after undoing Content-Encoding. */
  body: Buffer
}

/** How long one exchange may take before the test calls it a hang. */
export const EXCHANGE_DEADLINE_MS = 10_000

/** The port a listening server is bound to. */
export function portOf(server: Server): number {
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('server is not listening')
  return address.port
}

/** Starts listening on a free loopback port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return portOf(server)
}

/** Closes a server and every keep-alive connection it still holds. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** Undoes one Content-Encoding (what brisk can produce on Node 20: br, gzip, deflate). */
export function decode(raw: Buffer, coding: string | undefined): Buffer {
  switch ((coding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
    case '':
      return raw
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw)
    case 'deflate':
      return inflateSync(raw)
    case 'br':
      return brotliDecompressSync(raw)
    default:
      throw new Error(`unexpected Content-Encoding ${coding}`)
  }
}

/** One request through node:http's client; header names and values are sent unchanged. */
export function send(
  port: number,
  path: string,
  headers: Record<string, string | string[]> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method, headers, agent: false, insecureHTTPParser: true },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          clearTimeout(timer)
          const raw = Buffer.concat(chunks)
          try {
            const coding = res.headers['content-encoding']
            // A HEAD answer or a 304 names the coding of a body it does not carry.
            const body = raw.length === 0 ? raw : decode(raw, coding)
            resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body })
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)))
          }
        })
      },
    )
    const timer = setTimeout(() => {
      req.destroy(
        new Error(`no complete answer to ${method} ${path.slice(0, 80)} within ${EXCHANGE_DEADLINE_MS} ms`),
      )
    }, EXCHANGE_DEADLINE_MS)
    req.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end()
  })
}

/**
 * Writes a request head byte for byte over a socket (for targets node's client refuses, such
 * as raw UTF-8) and resolves with the status line's code and the whole reply as latin1.
 */
export function sendRaw(port: number, head: Buffer): Promise<{ status: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer within ${EXCHANGE_DEADLINE_MS} ms`)),
      EXCHANGE_DEADLINE_MS,
    )
    socket.on('connect', () => socket.end(head))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const reply = Buffer.concat(chunks).toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(reply)
      resolve({ status: match === null ? 0 : Number(match[1]), reply })
    })
  })
}
