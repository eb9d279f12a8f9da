import { deltaSeconds, parseCacheControl, type BriskRequestHeaders, type HeaderValue } from '@brisk/core'

/** The request's Cache-Control directives a shared cache acts on (RFC 9111 §5.2.1). */
export interface RequestDirectives {
  /** `no-store`: neither use nor store (§5.2.1.5). */
  noStore: boolean
  /** `no-cache` (or `Pragma: no-cache` without Cache-Control): validate with the app before use (§5.2.1.4, §5.4). */
  noCache: boolean
  /** `max-age=N`: no stored response older than N seconds (§5.2.1.1). */
  maxAge: number | undefined
  /** `max-stale[=N]`: accepts a stale response (by at most N seconds) (§5.2.1.2). */
  maxStale: number | undefined
  /** `min-fresh=N`: wants a response fresh for at least N more seconds (§5.2.1.3). */
  minFresh: number | undefined
  /** `only-if-cached`: answer from the cache or with 504 (§5.2.1.7). */
  onlyIfCached: boolean
}

const NONE: RequestDirectives = Object.freeze({
  noStore: false,
  noCache: false,
  maxAge: undefined,
  maxStale: undefined,
  minFresh: undefined,
  onlyIfCached: false,
})

/** Reads the request directives; most requests carry none and get a shared frozen object. */
export function requestDirectives(headers: BriskRequestHeaders): RequestDirectives {
  const field = headers['cache-control']
  if (field === undefined) {
    const pragma = headers.pragma
    if (pragma === undefined || !/no-cache/i.test(String(pragma))) return NONE
    return { ...NONE, noCache: true }
  }
  const cc = parseCacheControl(field)
  const maxStale = cc.get('max-stale')
  return {
    noStore: cc.has('no-store'),
    noCache: cc.has('no-cache'),
    maxAge: deltaSeconds(cc, 'max-age'),
    maxStale: maxStale === true ? Number.POSITIVE_INFINITY : deltaSeconds(cc, 'max-stale'),
    minFresh: deltaSeconds(cc, 'min-fresh'),
    onlyIfCached: cc.has('only-if-cached'),
  }
}

/** Whether a `Cookie` header carries one of the named session cookies (RFC 6265 §5.4 syntax). */
export function hasSessionCookie(cookie: HeaderValue | undefined, names: readonly string[]): boolean {
  if (cookie === undefined || names.length === 0) return false
  const text = typeof cookie === 'string' ? cookie : cookie.join('; ')
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=')
    const name = (eq === -1 ? pair : pair.slice(0, eq)).trim()
    if (name !== '' && names.includes(name)) return true
  }
  return false
}

// A purge index entry per tag: bounded so that a runaway header cannot blow up the store.
const MAX_TAGS = 64
const MAX_TAG_LENGTH = 256

/**
 * The tags of a response: those of the route (`req.hints.tags`) and those listed in the tags
 * header and `Surrogate-Key` (comma- or space-separated, as CDNs read them), deduplicated.
 */
export function collectTags(
  hinted: ReadonlySet<string> | undefined,
  ...fields: Array<HeaderValue | undefined>
): string[] {
  const tags = new Set<string>()
  if (hinted !== undefined) for (const tag of hinted) if (isTag(tag)) tags.add(tag)
  for (const field of fields) {
    if (field === undefined) continue
    const text = typeof field === 'string' ? field : field.join(',')
    for (const tag of text.split(/[\s,]+/)) if (isTag(tag)) tags.add(tag)
  }
  return tags.size > MAX_TAGS ? [...tags].slice(0, MAX_TAGS) : [...tags]
}

function isTag(tag: string): boolean {
  return tag !== '' && tag.length <= MAX_TAG_LENGTH
}
