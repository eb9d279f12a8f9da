import { createHash } from 'node:crypto'
import type { BriskRequestHeaders, HeaderValue } from '@brisk/core'
import Negotiator from 'negotiator'

/** The fields a response varies on, lower-case, sorted, without duplicates; `'*'` when it varies on everything. */
export type VaryFields = readonly string[] | '*'

// A response that varies on more fields than this is not stored: each field multiplies the
// variants, and no sensible representation depends on that many request fields.
const MAX_VARY_FIELDS = 8
// Request values longer than this are keyed by a digest so that keys stay short; only an odd
// request pays the hash (a hit with ordinary headers does none).
const MAX_VARY_VALUE_LENGTH = 200

/** Parses a `Vary` field value (RFC 9110 §12.5.5). Undefined or empty means no secondary key. */
export function parseVary(value: HeaderValue | undefined): VaryFields | undefined {
  if (value === undefined) return undefined
  const text = typeof value === 'string' ? value : value.join(',')
  const fields = new Set<string>()
  for (const part of text.split(',')) {
    const field = part.trim().toLowerCase()
    if (field === '') continue
    if (field === '*') return '*'
    fields.add(field)
  }
  if (fields.size === 0) return undefined
  return [...fields].sort()
}

/** Whether a response with these Vary fields may be stored at all. */
export function isVaryStorable(fields: VaryFields | undefined): boolean {
  return fields !== '*' && (fields === undefined || fields.length <= MAX_VARY_FIELDS)
}

// negotiator 1.x takes the server's order for ties; @types/negotiator (0.6) does not declare it yet.
type PreferringNegotiator = {
  encoding(available: readonly string[], options: { preferred: readonly string[] }): string | undefined
}

// Content codings a compressor in front of the app may produce, in @brisk/compress's order of
// preference when the client accepts several equally (brotli and zstd beat gzip on text), so
// that a bucket is usually the very coding the compressor picks.
const CODINGS = ['br', 'zstd', 'gzip', 'deflate', 'identity']

/**
 * The content coding a client would be served, normalized to br / zstd / gzip / deflate /
 * identity, so that the countless Accept-Encoding spellings fall into five variants (RFC 9110 §12.5.3).
 * `none` when the client accepts none of them (not even identity).
 */
export function encodingBucket(acceptEncoding: string | undefined): string {
  if (acceptEncoding === undefined) return 'identity'
  if (acceptEncoding.length > 1024) return 'identity'
  const known = buckets.get(acceptEncoding)
  if (known !== undefined) return known
  const negotiator = new Negotiator({
    headers: { 'accept-encoding': withoutXGzip(acceptEncoding) },
  }) as PreferringNegotiator
  const bucket = negotiator.encoding(CODINGS, { preferred: CODINGS }) ?? 'none'
  remember(buckets, acceptEncoding, bucket)
  return bucket
}

// Clients send few distinct Accept-Encoding values (one per browser family), and every hit of a
// response varying on it negotiates twice: negotiator's parse was a third of a full stack's hit
// (profiled, 1.5 us of 4.7 us). So answers are kept per header value, in maps bounded by
// emptying them when full: a flood of made-up values costs a parse each, never memory.
// Keyed by the header's own string, so that both lookups of one request hash it once (V8 keeps
// a string's hash in the string).
const MEMO_LIMIT = 512
const buckets = new Map<string, string>()
const accepted = new Map<string, Map<string, boolean>>()

function remember<T>(memo: Map<string, T>, key: string, value: T): void {
  if (memo.size >= MEMO_LIMIT) memo.clear()
  memo.set(key, value)
}

/**
 * Whether a client may receive a stored body in `contentEncoding` (RFC 9110 §12.5.3). Checked on
 * every hit of a response varying on Accept-Encoding: buckets are a heuristic for what the
 * compressor chooses, this makes sure a client never gets a coding it did not ask for.
 */
export function acceptsEncoding(
  acceptEncoding: string | undefined,
  contentEncoding: string | undefined,
): boolean {
  const coding = contentEncoding === undefined ? 'identity' : contentEncoding.trim().toLowerCase()
  if (coding === 'identity' || coding === '') {
    if (acceptEncoding === undefined) return true
  } else if (acceptEncoding === undefined) {
    return false
  }
  const header = acceptEncoding ?? ''
  if (header.length > 1024) return coding === 'identity'
  let answers = accepted.get(header)
  const known = answers?.get(coding)
  if (known !== undefined) return known
  const negotiator = new Negotiator({ headers: { 'accept-encoding': withoutXGzip(header) } })
  const answer = negotiator.encodings([coding]).length > 0
  if (answers === undefined) remember(accepted, header, (answers = new Map()))
  // Codings come from stored responses: a handful, unless a store holds made-up ones.
  if (answers.size >= MEMO_LIMIT) answers.clear()
  answers.set(coding, answer)
  return answer
}

/** RFC 9110 §8.4.1.3: a recipient should treat `x-gzip` as `gzip`; negotiator does not. */
function withoutXGzip(acceptEncoding: string): string {
  return /x-gzip/i.test(acceptEncoding) ? acceptEncoding.replace(/x-gzip/gi, 'gzip') : acceptEncoding
}

// What an absent field is keyed as. RFC 9111 §4.1: an absent field only matches an absent one,
// so it must differ from every present value, the empty one included; present values never
// contain a control character (those are digested below).
const ABSENT = '\u0000'

/** The request's value for one Vary field, normalized so that equivalent requests share a variant. */
export function varyValue(headers: BriskRequestHeaders, field: string): string {
  const raw = headers[field]
  if (field === 'accept-encoding') return encodingBucket(raw === undefined ? undefined : String(raw))
  if (raw === undefined) return ABSENT
  const text = typeof raw === 'string' ? raw.trim() : raw.map((v) => v.trim()).join(', ')
  if (text === '' || (text.length <= MAX_VARY_VALUE_LENGTH && isVerbatim(text))) return text
  // A digest for long or odd values, so keys stay short; a value starting with '#' is digested
  // too, so that no request can spell another's digest and share its variant.
  return `#${createHash('sha1').update(text).digest('base64url')}`
}

/** Whether a present value can be keyed as itself: printable (tab allowed), not starting with the digest mark. */
function isVerbatim(text: string): boolean {
  if (text.charCodeAt(0) === 35 /* # */) return false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return false
  }
  return true
}

/** The normalized request values of the fields a response varies on, one `field:value` per line. */
export function variantValues(fields: readonly string[], headers: BriskRequestHeaders): string {
  let values = ''
  for (const field of fields) values += `\n${field}:${varyValue(headers, field)}`
  return values
}

/** A stored variant set as {@link variantKeyOf} needs it: its id and the fields it varies on. */
export interface VariantSet {
  readonly id: string
  readonly fields: readonly string[]
}

/** Keys already built for one variant set object, by the request's normalized value. */
interface BuiltKeys {
  primaryKey: string
  keys: Map<string, string>
}

const builtKeys = new WeakMap<VariantSet, BuiltKeys>()
const BUILT_KEYS_LIMIT = 64

/**
 * {@link variantKey} for a request to a stored variant set. A set varying on one field (almost
 * always `Accept-Encoding`) remembers the keys it has built, per set object (a memory store hands
 * out the same one on every hit): a key built afresh is a new string that the store's map must
 * hash again, measured at ~180 ns of a 61-character key per hit, where a remembered one keeps
 * its hash.
 */
export function variantKeyOf(primaryKey: string, set: VariantSet, headers: BriskRequestHeaders): string {
  const fields = set.fields
  if (fields.length !== 1) return variantKey(primaryKey, set.id, fields, headers)
  const field = fields[0] as string
  const value = varyValue(headers, field)
  let built = builtKeys.get(set)
  if (built === undefined || built.primaryKey !== primaryKey) {
    built = { primaryKey, keys: new Map() }
    builtKeys.set(set, built)
  }
  let key = built.keys.get(value)
  if (key === undefined) {
    key = `${primaryKey}\n${set.id}\n${field}:${value}`
    if (built.keys.size >= BUILT_KEYS_LIMIT) built.keys.clear()
    built.keys.set(value, key)
  }
  return key
}

/**
 * The secondary key of a request for a response that varies on `fields` (RFC 9111 §4.1):
 * the primary key, the id of the variant set, then each field's normalized request value.
 */
export function variantKey(
  primaryKey: string,
  setId: string,
  fields: readonly string[],
  headers: BriskRequestHeaders,
): string {
  return `${primaryKey}\n${setId}${variantValues(fields, headers)}`
}
