import { Readable } from 'node:stream'
import {
  appendVary,
  headerValue,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { createEncoder, encodeAsync, encodeSync, flushKind } from './codings.js'
import { encodeStream } from './encode-stream.js'
import { etagForCompressed } from './etag.js'
import { identityAcceptable, negotiateEncoding, type Coding } from './negotiate.js'
import { resolveOptions, type CompressOptions, type CompressSettings } from './options.js'
import { readPrefix } from './read-prefix.js'
import { mediaType, skipReason } from './skip-rules.js'

const NOT_ACCEPTABLE_BODY = Buffer.from(
  'Not Acceptable: no content coding offered here is acceptable to the client.\n',
)

/**
 * Compresses responses with the best content coding the client accepts (RFC 9110 §12.5.3):
 * brotli, zstd where Node has it, gzip or deflate. Only compressible media types above a
 * threshold are compressed; `Vary: Accept-Encoding` is added wherever the answer depends on the
 * request's `Accept-Encoding`. Options are validated here, once.
 */
export function compress(options: CompressOptions = {}): BriskMiddleware {
  const settings = resolveOptions(options)
  return async function compressMiddleware(req, next) {
    const res = await next()
    // A HEAD answer carries the header fields its GET would (RFC 9110 §9.3.2), so it is judged
    // as that GET; it only has no body to encode.
    const head = req.method === 'HEAD'
    const skip = head ? skipReason('GET', { ...res, body: NO_BYTES }) : skipReason(req.method, res)
    if (skip !== undefined) {
      // A 304 stands for the 200 it validates, so it carries that 200's Vary (RFC 9110 §15.4.5).
      if (skip === 'not-modified' && acceptsType(res, settings, true)) {
        appendVary(res.headers, 'Accept-Encoding')
      }
      return res
    }
    const acceptEncoding = headerValue(req.headers, 'accept-encoding')
    // The filter and the threshold say when compressing pays off, which is the server's choice
    // only while the client accepts identity. A client refusing it (RFC 9110 §12.5.3) gets a
    // coding it accepts or a 406 whatever the type, so that one Accept-Encoding has one
    // meaning across a site. Other types stay out of Vary unless the request refused identity:
    // a Vary on every image would split every shared cache (brisk's too) by Accept-Encoding
    // for clients that browsers never are, and a cache answering such a client from a stored
    // identity response does what §12.1 allows the origin itself to do.
    const compressible = acceptsType(res, settings, false)
    if (!compressible && identityAcceptable(acceptEncoding)) return res
    appendVary(res.headers, 'Accept-Encoding')

    const choice = negotiateEncoding(acceptEncoding, settings.encodings)
    if (choice === null) return refuse(res, settings)
    if (choice === 'identity') return res
    // A client that refuses identity gets a coding even below the threshold. Asked only when
    // the threshold matters, so a large buffered body pays for one negotiation.
    const identityAllowed = compressible ? (): boolean => identityAcceptable(acceptEncoding) : () => false
    if (head) return headAnswer(res, choice, identityAllowed(), settings)
    return Buffer.isBuffer(res.body)
      ? compressBuffer(req, res, res.body, choice, identityAllowed, settings)
      : compressStream(req, res, res.body as Readable, choice, identityAllowed(), settings)
  }
}

const NO_BYTES = Buffer.alloc(0)

/**
 * The HEAD answer for a GET that would be encoded in `coding` when large enough: its
 * `Content-Encoding`, its (weakened) ETag, and no `Content-Length`. The GET's length is that of
 * the encoded bytes, known only by encoding them; §8.6 lets a HEAD answer omit Content-Length
 * but never send one other than the GET's, and spending a GET's compression on a HEAD to fill
 * one field is not worth it (the GET of a stream carries none either). A body the adapter
 * buffered for the HEAD holds the identity bytes, which no longer describe this answer: it is
 * dropped, so an outer `conditional()` cannot hash it into a strong ETag that the GET (whose
 * ETag is computed from the encoded bytes) never carries. A stored GET answers a HEAD with the
 * exact encoded length and ETag instead (the cache serves HEAD from the GET entry).
 */
function headAnswer(
  res: BriskResponse,
  coding: Coding,
  identityAllowed: boolean,
  settings: CompressSettings,
): BriskResponse {
  if (identityAllowed && mediaType(res) !== 'text/event-stream') {
    const size = Buffer.isBuffer(res.body)
      ? res.body.length
      : Number(headerValue(res.headers, 'content-length') ?? NaN)
    // Without a length the GET decides by reading its stream; a HEAD answer may omit a field
    // whose value is only determined while generating the content (§9.3.2), so the coding is
    // left unsaid rather than guessed.
    if (!(size >= settings.threshold)) return res
  }
  if (res.body instanceof Readable) res.body.destroy()
  res.body = null
  markEncoded(res, coding)
  delete res.headers['content-length']
  return res
}

function acceptsType(res: BriskResponse, settings: CompressSettings, allowMissing: boolean): boolean {
  const type = mediaType(res)
  return type === undefined ? allowMissing : settings.filter(type)
}

/**
 * No offered coding is acceptable and identity is refused. For a successful response that means
 * 406 (§12.5.3); other statuses (errors, redirects) keep their meaning and go out uncompressed,
 * since replacing an error with 406 would hide it.
 */
function refuse(res: BriskResponse, settings: CompressSettings): BriskResponse {
  if (settings.notAcceptable === 'identity' || res.status < 200 || res.status > 299) return res
  if (res.body instanceof Readable) res.body.destroy()
  return {
    status: 406,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(NOT_ACCEPTABLE_BODY.length),
      vary: res.headers.vary,
    },
    body: NOT_ACCEPTABLE_BODY,
  }
}

function levelFor(req: BriskRequest, coding: Coding, settings: CompressSettings): number {
  return req.hints.willStore === true ? settings.storeLevel[coding] : settings.level[coding]
}

async function compressBuffer(
  req: BriskRequest,
  res: BriskResponse,
  body: Buffer,
  coding: Coding,
  identityAllowed: () => boolean,
  settings: CompressSettings,
): Promise<BriskResponse> {
  if (body.length < settings.threshold && identityAllowed()) return res
  const level = levelFor(req, coding, settings)
  // Stored responses use the slow, high levels: always off the event loop.
  const encoded =
    body.length < settings.syncBelow && req.hints.willStore !== true
      ? encodeSync(coding, level, body)
      : await encodeAsync(coding, level, body)
  markEncoded(res, coding)
  res.headers['content-length'] = String(encoded.length)
  res.body = encoded
  settings.metrics.inc('compress.responses')
  settings.metrics.inc('compress.bytesIn', body.length)
  settings.metrics.inc('compress.bytesOut', encoded.length)
  return res
}

async function compressStream(
  req: BriskRequest,
  res: BriskResponse,
  source: Readable,
  coding: Coding,
  identityAllowed: boolean,
  settings: CompressSettings,
): Promise<BriskResponse> {
  // Server-sent events are compressed with a flush after every write, so each event reaches the
  // client while the stream stays open; they skip the threshold prefix, which would hold back
  // the first events until enough bytes accumulated.
  const eventStream = mediaType(res) === 'text/event-stream'
  let prefix: Buffer[] = []
  if (identityAllowed && !eventStream) {
    const declared = Number(headerValue(res.headers, 'content-length'))
    if (Number.isFinite(declared) && declared < settings.threshold) return res
    if (!Number.isFinite(declared)) {
      let read
      try {
        read = await readPrefix(source, settings.threshold, req.signal)
      } catch (error) {
        // The client left or the app's stream failed before the threshold: there is nobody to
        // answer, or nothing correct to send. The answer must fail as the uncompressed one
        // would (a cut response, never stored), not turn into a complete empty 200 that a
        // cache keeps and serves to everyone.
        source.destroy()
        delete res.headers['content-length']
        res.body = failingBody(error)
        return res
      }
      const whole = read.ended ? Buffer.concat(read.chunks, read.length) : undefined
      if (whole !== undefined) {
        res.body = whole
        if (whole.length < settings.threshold) {
          res.headers['content-length'] = String(whole.length)
          return res
        }
        return compressBuffer(req, res, whole, coding, () => identityAllowed, settings)
      }
      prefix = read.chunks
    }
  }
  const encoder = createEncoder(coding, levelFor(req, coding, settings))
  const metrics = settings.metrics
  markEncoded(res, coding)
  delete res.headers['content-length']
  res.body = encodeStream(source, encoder, {
    prefix,
    flushEachChunk: eventStream ? flushKind(coding) : undefined,
    signal: req.signal,
    onEnd: ({ bytesIn, bytesOut }) => {
      metrics.inc('compress.responses')
      metrics.inc('compress.bytesIn', bytesIn)
      metrics.inc('compress.bytesOut', bytesOut)
    },
  })
  return res
}

/** A body that fails with `error` once its consumer starts reading it, as the source did. */
function failingBody(error: unknown): Readable {
  const reason = error instanceof Error ? error : new Error(String(error))
  return new Readable({
    read() {
      this.destroy(reason)
    },
  })
}

function markEncoded(res: BriskResponse, coding: Coding): void {
  res.headers['content-encoding'] = coding
  const etag = etagForCompressed(headerValue(res.headers, 'etag'))
  if (etag === undefined) delete res.headers.etag
  else res.headers.etag = etag
  // Content-MD5 (obsolete, RFC 7231 dropped it) would describe the identity bytes.
  delete res.headers['content-md5']
}
