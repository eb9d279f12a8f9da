import type { DataCache } from '@brisk/cache'

/**
 * Query results kept in brisk's data cache, on the response cache's store: a response miss
 * (another page of the list, a cold cache) then reuses them instead of asking SQLite again.
 * Entries carry the same tags as the pages, so one purge reaches both. Without a cache
 * (`BRISK_CACHE=0`) every call runs its query.
 */
export class QueryCache {
  private readonly data: DataCache | undefined

  constructor(data?: DataCache) {
    this.data = data
  }

  /** The value of `query`, from the data cache when it holds one under `key`. */
  get<T>(key: string, tags: readonly string[], query: () => T): Promise<T> {
    if (this.data === undefined) return Promise.resolve(query())
    return this.data.getOrSet(key, () => query(), { tags })
  }
}
