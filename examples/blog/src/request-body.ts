import type { IncomingMessage } from 'node:http'
import { HttpError } from './route.js'

/** Forms and JSON posts are small; anything larger is refused with 413 before it is buffered. */
const BODY_LIMIT = 64 * 1024

/** Reads a request body up to {@link BODY_LIMIT} bytes. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (declared > BODY_LIMIT) throw new HttpError(413, 'Request body too large')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > BODY_LIMIT) throw new HttpError(413, 'Request body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''
}

/** An `application/x-www-form-urlencoded` body; 415 for any other type. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'Expected a form (application/x-www-form-urlencoded)')
  }
  return new URLSearchParams((await readBody(req)).toString('utf8'))
}

/** An `application/json` object body; 415 for any other type, 400 when it does not parse. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (mediaType(req) !== 'application/json') throw new HttpError(415, 'Expected application/json')
  const body = await readBody(req)
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError(400, 'Malformed JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'Expected a JSON object')
  }
  return value as Record<string, unknown>
}
