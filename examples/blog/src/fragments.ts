import type { BlogQueries, Comment, IdPage, PostRecord, PostSummary } from './queries.js'
import type { QueryCache } from './query-cache.js'

/** Posts the "Most discussed" sidebar lists. */
export const POPULAR_POSTS = 8

/** What every public page shows beside its content. */
export interface Sidebar {
  /** Every tag in use with its number of posts. */
  tags: Array<{ name: string; count: number }>
  /** The most commented posts. */
  popular: PostSummary[]
}

/** A page of a list with its posts resolved from their rows. */
export interface SummaryPage {
  items: PostSummary[]
  page: number
  pageCount: number
  total: number
}

/**
 * The pieces pages are built from, each kept in the data cache under the tags that make it
 * stale, the way a real blog caches fragments: a post's row and its comments (`post:<id>`), the
 * ids of each list page (`list`, `tag:<name>`), the tag cloud and the most discussed posts
 * (`list`). Lists hold ids only and resolve them through the rows, so editing a post
 * (`post:<id>`) shows up in every list and sidebar that names it, and a page whose response
 * a purge removed is rebuilt from fragments instead of SQLite.
 */
export class BlogFragments {
  private readonly queries: BlogQueries
  private readonly cache: QueryCache

  constructor(queries: BlogQueries, cache: QueryCache) {
    this.queries = queries
    this.cache = cache
  }

  /**
   * A post's row, or null when there is none. Misses are kept too (a bounded store evicts
   * them), so a crawler walking unknown ids does not reach SQLite each time; creating the post
   * purges its `post:<id>` tag.
   */
  post(id: number): Promise<PostRecord | null> {
    return this.cache.get(`post:${id}:row`, [`post:${id}`], () => this.queries.postRecord(id) ?? null)
  }

  /** A post's comments, oldest first. */
  comments(id: number): Promise<Comment[]> {
    return this.cache.get(`post:${id}:comments`, [`post:${id}`], () => this.queries.comments(id))
  }

  /** One page of the newest posts. */
  async latest(page: number, pageSize: number): Promise<SummaryPage> {
    const ids = await this.cache.get(`list:${pageSize}:${page}`, ['list'], () =>
      this.queries.listPostIds(page, pageSize),
    )
    return this.resolve(ids)
  }

  /** One page of the newest posts carrying `tag`. */
  async tagged(tag: string, page: number, pageSize: number): Promise<SummaryPage> {
    const ids = await this.cache.get(`tag:${tag}:${pageSize}:${page}`, [`tag:${tag}`], () =>
      this.queries.listTaggedIds(tag, page, pageSize),
    )
    return this.resolve(ids)
  }

  /** The tag cloud and the most discussed posts. */
  async sidebar(): Promise<Sidebar> {
    const [tags, popularIds] = await Promise.all([
      // A GROUP BY over every post: the same on every page, so computed once per purge of `list`.
      this.cache.get('sidebar:tags', ['list'], () => this.queries.tags()),
      this.cache.get('sidebar:popular', ['list'], () => this.queries.popularIds(POPULAR_POSTS)),
    ])
    return { tags, popular: await this.rows(popularIds) }
  }

  private async resolve(ids: IdPage): Promise<SummaryPage> {
    return { items: await this.rows(ids.items), page: ids.page, pageCount: ids.pageCount, total: ids.total }
  }

  /** The rows of `ids` in order, skipping a post deleted since the ids were cached. */
  private async rows(ids: readonly number[]): Promise<PostSummary[]> {
    const rows = await Promise.all(ids.map((id) => this.post(id)))
    return rows.filter((row): row is PostRecord => row !== null)
  }
}
