import type { ResponseCache } from './response-cache.js'

/** The purge API of a response cache, kept on the framework middleware that wraps it. */
export type CachePurge = Pick<ResponseCache, 'purgeKey' | 'purgeUrl' | 'purgeTag' | 'purgeAll' | 'store'>

/**
 * Copies the purge methods as closures, so an adapter's wrapped middleware carries them and
 * `const { purgeTag } = cache(...)` works too.
 */
export function purgeApi(responseCache: ResponseCache): CachePurge {
  return {
    purgeKey: (key) => responseCache.purgeKey(key),
    purgeUrl: (url) => responseCache.purgeUrl(url),
    purgeTag: (tag) => responseCache.purgeTag(tag),
    purgeAll: () => responseCache.purgeAll(),
    store: responseCache.store,
  }
}
