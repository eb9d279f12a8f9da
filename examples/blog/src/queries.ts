import type Database from 'better-sqlite3'

/** A post as lists show it. */
export interface PostSummary {
  id: number
  title: string
  excerpt: string
  authorName: string
  publishedAt: number
  tags: string[]
  commentCount: number
}

/** A post's own row: everything its page shows except the comments. */
export interface PostRecord extends PostSummary {
  body: string
  authorId: number
  authorUsername: string
  updatedAt: number
}

/** A post with everything its page shows. */
export interface PostDetail extends PostRecord {
  comments: Comment[]
}

/** The ids of one page of a list, and where it sits among all pages. */
export type IdPage = Page<number>

export interface Comment {
  id: number
  authorName: string
  body: string
  createdAt: number
}

export interface User {
  id: number
  username: string
  name: string
  bio: string
}

/** A page of results and where it sits among all pages. */
export interface Page<T> {
  items: T[]
  page: number
  pageCount: number
  total: number
}

/** What an author submits to create or edit a post. */
export interface PostInput {
  title: string
  body: string
  tags: string[]
}

interface PostRow {
  id: number
  title: string
  body: string
  author_id: number
  author_name: string
  author_username: string
  published_at: number
  updated_at: number
  tags: string | null
  comment_count: number
}

// About two paragraphs: list pages read like a real blog's (the home page weighs 30-50 KB,
// which is what the benchmarks serve), not like a table of titles.
const EXCERPT_LENGTH = 1200

// Tags and comment counts come from correlated subqueries: one statement per page instead
// of one per post.
const POST_COLUMNS = `
  p.id, p.title, p.body, p.author_id, p.published_at, p.updated_at,
  u.name AS author_name, u.username AS author_username,
  (SELECT group_concat(t.name, ',') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id) AS tags,
  (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comment_count`

/** Every query the blog runs, as prepared statements made once. */
export class BlogQueries {
  private readonly db: Database.Database
  private readonly statements

  constructor(db: Database.Database) {
    this.db = db
    this.statements = {
      countPosts: db.prepare('SELECT count(*) AS n FROM posts'),
      listPosts: db.prepare(
        `SELECT ${POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
         ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?`,
      ),
      listPostIds: db.prepare('SELECT id FROM posts ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?'),
      listTaggedIds: db.prepare(
        `SELECT p.id FROM posts p
         WHERE p.id IN (SELECT pt.post_id FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.name = ?)
         ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?`,
      ),
      popularIds: db.prepare(
        `SELECT p.id FROM posts p LEFT JOIN comments c ON c.post_id = p.id
         GROUP BY p.id ORDER BY count(c.id) DESC, p.published_at DESC, p.id DESC LIMIT ?`,
      ),
      countTagged: db.prepare(
        'SELECT count(*) AS n FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.name = ?',
      ),
      listTagged: db.prepare(
        `SELECT ${POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
         WHERE p.id IN (SELECT pt.post_id FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.name = ?)
         ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?`,
      ),
      search: db.prepare(
        `SELECT ${POST_COLUMNS} FROM posts_fts f JOIN posts p ON p.id = f.rowid JOIN users u ON u.id = p.author_id
         WHERE posts_fts MATCH ? ORDER BY bm25(posts_fts) LIMIT ?`,
      ),
      post: db.prepare(
        `SELECT ${POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = ?`,
      ),
      comments: db.prepare(
        'SELECT id, author_name, body, created_at FROM comments WHERE post_id = ? ORDER BY created_at, id',
      ),
      allTags: db.prepare(
        `SELECT t.name, count(pt.post_id) AS n FROM tags t LEFT JOIN post_tags pt ON pt.tag_id = t.id
         GROUP BY t.id HAVING n > 0 ORDER BY t.name`,
      ),
      userById: db.prepare('SELECT id, username, name, bio FROM users WHERE id = ?'),
      credentials: db.prepare('SELECT id, password_hash FROM users WHERE username = ?'),
      insertPost: db.prepare(
        'INSERT INTO posts (title, body, author_id, published_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      ),
      updatePost: db.prepare('UPDATE posts SET title = ?, body = ?, updated_at = ? WHERE id = ?'),
      deletePost: db.prepare('DELETE FROM posts WHERE id = ?'),
      insertTag: db.prepare('INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING'),
      tagId: db.prepare('SELECT id FROM tags WHERE name = ?'),
      clearPostTags: db.prepare('DELETE FROM post_tags WHERE post_id = ?'),
      insertPostTag: db.prepare('INSERT OR IGNORE INTO post_tags (post_id, tag_id) VALUES (?, ?)'),
    }
  }

  /** Newest posts first, `pageSize` per page (pages count from 1). */
  listPosts(page: number, pageSize: number): Page<PostSummary> {
    const total = (this.statements.countPosts.get() as { n: number }).n
    const rows = this.statements.listPosts.all(pageSize, (page - 1) * pageSize) as PostRow[]
    return paged(rows.map(toSummary), page, pageSize, total)
  }

  /** Newest posts carrying `tag`. */
  listTagged(tag: string, page: number, pageSize: number): Page<PostSummary> {
    const total = (this.statements.countTagged.get(tag) as { n: number }).n
    const rows = this.statements.listTagged.all(tag, pageSize, (page - 1) * pageSize) as PostRow[]
    return paged(rows.map(toSummary), page, pageSize, total)
  }

  /** The ids of the newest posts, `pageSize` per page: a list page resolves them to cached rows. */
  listPostIds(page: number, pageSize: number): IdPage {
    const total = (this.statements.countPosts.get() as { n: number }).n
    const rows = this.statements.listPostIds.all(pageSize, (page - 1) * pageSize) as Array<{ id: number }>
    return paged(
      rows.map((row) => row.id),
      page,
      pageSize,
      total,
    )
  }

  /** The ids of the newest posts carrying `tag`. */
  listTaggedIds(tag: string, page: number, pageSize: number): IdPage {
    const total = (this.statements.countTagged.get(tag) as { n: number }).n
    const rows = this.statements.listTaggedIds.all(tag, pageSize, (page - 1) * pageSize) as Array<{
      id: number
    }>
    return paged(
      rows.map((row) => row.id),
      page,
      pageSize,
      total,
    )
  }

  /** The ids of the `limit` most commented posts (newest first among equals). */
  popularIds(limit: number): number[] {
    return (this.statements.popularIds.all(limit) as Array<{ id: number }>).map((row) => row.id)
  }

  /**
   * Full-text search, best match first. The user's words are quoted one by one, so FTS5
   * operators typed into the search box are searched for, never interpreted.
   */
  search(text: string, limit: number): PostSummary[] {
    const words = text.match(/[\p{L}\p{N}]+/gu)?.slice(0, 8) ?? []
    if (words.length === 0) return []
    const match = words.map((word) => `"${word}"`).join(' ')
    return (this.statements.search.all(match, limit) as PostRow[]).map(toSummary)
  }

  /** One post with its comments, or undefined. */
  post(id: number): PostDetail | undefined {
    const record = this.postRecord(id)
    return record === undefined ? undefined : { ...record, comments: this.comments(id) }
  }

  /** One post's row (without its comments), or undefined. */
  postRecord(id: number): PostRecord | undefined {
    const row = this.statements.post.get(id) as PostRow | undefined
    if (row === undefined) return undefined
    return {
      ...toSummary(row),
      body: row.body,
      authorId: row.author_id,
      authorUsername: row.author_username,
      updatedAt: row.updated_at,
    }
  }

  /** A post's comments, oldest first. */
  comments(postId: number): Comment[] {
    const rows = this.statements.comments.all(postId) as Array<{
      id: number
      author_name: string
      body: string
      created_at: number
    }>
    return rows.map((c) => ({ id: c.id, authorName: c.author_name, body: c.body, createdAt: c.created_at }))
  }

  /** Every tag in use with its number of posts. */
  tags(): Array<{ name: string; count: number }> {
    return (this.statements.allTags.all() as Array<{ name: string; n: number }>).map((t) => ({
      name: t.name,
      count: t.n,
    }))
  }

  user(id: number): User | undefined {
    return this.statements.userById.get(id) as User | undefined
  }

  /** The id and password hash for a login attempt, or undefined (unknown or passwordless user). */
  credentials(username: string): { id: number; passwordHash: string } | undefined {
    const row = this.statements.credentials.get(username) as
      { id: number; password_hash: string | null } | undefined
    if (row === undefined || row.password_hash === null) return undefined
    return { id: row.id, passwordHash: row.password_hash }
  }

  createPost(authorId: number, input: PostInput, now = Date.now()): number {
    return this.db.transaction(() => {
      const info = this.statements.insertPost.run(input.title, input.body, authorId, now, now)
      const id = Number(info.lastInsertRowid)
      this.setTags(id, input.tags)
      return id
    })()
  }

  /** Updates a post; false when it does not exist. */
  updatePost(id: number, input: PostInput, now = Date.now()): boolean {
    return this.db.transaction(() => {
      const info = this.statements.updatePost.run(input.title, input.body, now, id)
      if (info.changes === 0) return false
      this.setTags(id, input.tags)
      return true
    })()
  }

  /** Deletes a post with its comments; false when it does not exist. */
  deletePost(id: number): boolean {
    return this.statements.deletePost.run(id).changes > 0
  }

  private setTags(postId: number, tags: readonly string[]): void {
    this.statements.clearPostTags.run(postId)
    for (const tag of tags) {
      this.statements.insertTag.run(tag)
      const row = this.statements.tagId.get(tag) as { id: number }
      this.statements.insertPostTag.run(postId, row.id)
    }
  }
}

function toSummary(row: PostRow): PostSummary {
  const opening = row.body.replaceAll('\n\n', ' ')
  return {
    id: row.id,
    title: row.title,
    excerpt:
      opening.length > EXCERPT_LENGTH
        ? `${opening.slice(0, EXCERPT_LENGTH).replace(/\s+\S*$/, '')}…`
        : opening,
    authorName: row.author_name,
    publishedAt: row.published_at,
    tags: row.tags === null ? [] : row.tags.split(',').sort(),
    commentCount: row.comment_count,
  }
}

function paged<T>(items: T[], page: number, pageSize: number, total: number): Page<T> {
  return { items, page, pageCount: Math.max(1, Math.ceil(total / pageSize)), total }
}
