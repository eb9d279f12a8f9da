import { parseCacheControl, type BriskResponse } from '@brisk/core'

/** Why a response is left exactly as the app produced it. */
export type SkipReason =
  'head' | 'no-body-status' | 'not-modified' | 'partial' | 'no-body' | 'already-encoded' | 'no-transform'

/**
 * Whether a response must go out untouched, whatever the client accepts; undefined when it may
 * be compressed. Rules:
 * - HEAD: there is no body to transform (`compress()` asks about the GET a HEAD stands for, to
 *   give the HEAD answer that GET's header fields);
 * - 1xx, 204 and 304 carry no content (RFC 9110 §15.3.5, §15.4.5);
 * - 206 or any `Content-Range`: byte ranges address the identity bytes (§14.4); compressing a
 *   range would make the range arithmetic wrong for the client;
 * - an existing `Content-Encoding` other than identity: already encoded (precompressed file,
 *   proxied upstream), never encoded twice;
 * - `Cache-Control: no-transform`: intermediaries and the origin's own layers must not change
 *   the content coding (RFC 9111 §5.2.2.6).
 */
export function skipReason(method: string, res: BriskResponse): SkipReason | undefined {
  if (method === 'HEAD') return 'head'
  const status = res.status
  if (status === 304) return 'not-modified'
  if (status < 200 || status === 204) return 'no-body-status'
  if (status === 206 || res.headers['content-range'] !== undefined) return 'partial'
  if (res.body === null) return 'no-body'
  const encoding = res.headers['content-encoding']
  if (encoding !== undefined && !isIdentity(encoding)) return 'already-encoded'
  const cacheControl = res.headers['cache-control']
  if (cacheControl !== undefined && /no-transform/i.test(String(cacheControl))) {
    if (parseCacheControl(cacheControl).has('no-transform')) return 'no-transform'
  }
  return undefined
}

function isIdentity(value: string | string[]): boolean {
  const text = typeof value === 'string' ? value : value.join(',')
  return text.trim().toLowerCase() === 'identity' || text.trim() === ''
}

/** The media type of a response, lower-case without parameters (`text/html`), or undefined. */
export function mediaType(res: BriskResponse): string | undefined {
  const value = res.headers['content-type']
  const text = typeof value === 'string' ? value : value?.[0]
  if (text === undefined) return undefined
  const semicolon = text.indexOf(';')
  const essence = (semicolon === -1 ? text : text.slice(0, semicolon)).trim().toLowerCase()
  return essence === '' ? undefined : essence
}
