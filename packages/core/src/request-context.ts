import type { IncomingMessage } from 'node:http'
import { parseDuration, type Duration } from './duration.js'
import type { BriskHints } from './exchange.js'
import { BriskOptionError } from './options-error.js'

/** Options of {@link BriskContext.cacheFor}. */
export interface CacheForOptions {
  /** stale-while-revalidate window: serve stale this long while one request refreshes it. */
  swr?: Duration
  /** stale-if-error window: serve stale this long when the app fails. */
  staleIfError?: Duration
  /** Tags for purging by tag, e.g. `['post:42']`. */
  tags?: Iterable<string>
  /** A private response: a shared cache never stores it. */
  private?: boolean
}

/** The handler's side of the exchange: what it tells brisk about the response it writes. */
export interface BriskContext {
  /** True when a brisk middleware is in front of this request; otherwise every call is a no-op. */
  readonly active: boolean
  /** Declares how long a shared cache may keep this response, e.g. `cacheFor('5m', { swr: '1m' })`. */
  cacheFor(ttl: Duration, options?: CacheForOptions): BriskContext
  /** Attaches tags to the response, for purging by tag. */
  tag(...tags: string[]): BriskContext
  /** Declares the response must not be stored (same as a private, zero-lifetime `cacheFor`). */
  noStore(): BriskContext
}

/** Tags beyond this count are ignored, so one request cannot grow the tag index without bound. */
export const MAX_TAGS = 64
/** Longer tags are refused: a tag is a short name such as `post:42`, not a payload. */
export const MAX_TAG_LENGTH = 256

/**
 * Hints of requests a brisk adapter is handling, keyed by the Node request so any framework
 * object that leads to it (Koa `ctx.req`, Express `req` / `res.req`) finds them. A WeakMap,
 * so a finished request is collected with its hints.
 */
const hintsByRequest = new WeakMap<IncomingMessage, BriskHints>()

/** Called by adapters: the handler of `raw` writes its declarations into `hints`. */
export function bindHints(raw: IncomingMessage, hints: BriskHints): void {
  hintsByRequest.set(raw, hints)
}

/** The hints already bound to `raw` (an adapter further out handles it too), if any. */
export function boundHints(raw: IncomingMessage): BriskHints | undefined {
  return hintsByRequest.get(raw)
}

class HintsContext implements BriskContext {
  constructor(
    private readonly hints: BriskHints,
    readonly active: boolean,
  ) {}

  cacheFor(ttl: Duration, options: CacheForOptions = {}): BriskContext {
    const hint: BriskHints['cacheFor'] = { ttl: parseDuration(ttl, 'cacheFor(ttl)') }
    if (options.swr !== undefined) hint.staleWhileRevalidate = parseDuration(options.swr, 'cacheFor({ swr })')
    if (options.staleIfError !== undefined) {
      hint.staleIfError = parseDuration(options.staleIfError, 'cacheFor({ staleIfError })')
    }
    if (options.private === true) hint.private = true
    this.hints.cacheFor = hint
    if (options.tags !== undefined) this.tag(...options.tags)
    return this
  }

  tag(...tags: string[]): BriskContext {
    const set = (this.hints.tags ??= new Set())
    for (const tag of tags) {
      if (typeof tag !== 'string' || tag === '' || tag.length > MAX_TAG_LENGTH) {
        throw new BriskOptionError('tag', tag, `a non-empty string of at most ${MAX_TAG_LENGTH} characters`)
      }
      if (set.size >= MAX_TAGS) break
      set.add(tag)
    }
    return this
  }

  noStore(): BriskContext {
    // BriskHints has no dedicated field yet; a private zero-lifetime declaration means the
    // same to a shared cache (RFC 9111 §3: private responses are not stored by shared caches).
    this.hints.cacheFor = { ttl: 0, private: true }
    return this
  }
}

/**
 * The request-context helper for a Node request. Without a brisk middleware in front, the
 * declarations go to a throwaway object (a harmless no-op), but arguments are still checked so
 * a mistake shows up whether or not brisk is mounted.
 */
export function requestContext(raw: IncomingMessage | undefined): BriskContext {
  const hints = raw === undefined ? undefined : hintsByRequest.get(raw)
  return hints === undefined ? new HintsContext({}, false) : new HintsContext(hints, true)
}
