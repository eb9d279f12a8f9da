import type { BriskLogger } from '@brisk/core'

/** Removes every cached response carrying one of `tags`; provided by the brisk cache. */
export type PurgeTags = (tags: readonly string[]) => Promise<void>

/**
 * Every cache purge the blog makes, in one place. A post edit touches its own page
 * (`post:<id>`), every list (`list`: home pages and the API's list) and the pages of each tag
 * it had or has now (`tag:<name>`).
 */
export class Purge {
  private readonly purgeTags: PurgeTags | undefined
  private readonly logger: BriskLogger

  /** Without a cache (`BRISK_CACHE=0`) there is nothing to purge. */
  constructor(logger: BriskLogger, purgeTags?: PurgeTags) {
    this.logger = logger
    this.purgeTags = purgeTags
  }

  /** The tags a change to post `id` (with these old and new tags) makes stale. */
  static tagsForPost(id: number, postTags: readonly string[]): string[] {
    return [`post:${id}`, 'list', ...new Set(postTags.map((tag) => `tag:${tag}`))]
  }

  /**
   * Purges what a created, edited or deleted post makes stale; resolves when it is done. The
   * change itself is already committed, so a failed purge (the store is down) is logged and
   * the stale pages age out with their `s-maxage`, rather than failing the author's request.
   */
  async postChanged(id: number, postTags: readonly string[]): Promise<void> {
    if (this.purgeTags === undefined) return
    const tags = Purge.tagsForPost(id, postTags)
    try {
      await this.purgeTags(tags)
    } catch (error) {
      this.logger.warn({ err: error, tags }, 'cache purge failed; the pages expire with their s-maxage')
    }
  }
}
