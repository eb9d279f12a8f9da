import type Database from 'better-sqlite3'
import { hashPassword } from './password.js'
import { Prng } from './prng.js'
import { paragraph, postBody, sentence, title } from './prose.js'

/** Users who can log in (password `demo`); the login page lists them. */
export const DEMO_USERS = [
  { username: 'alice', name: 'Alice Moreau', password: 'demo' },
  { username: 'bob', name: 'Bob Okafor', password: 'demo' },
] as const

const OTHER_AUTHORS = [
  'Chen Wei',
  'Dana Kowalski',
  'Elif Yilmaz',
  'Farid Haddad',
  'Greta Lindqvist',
  'Hiro Tanaka',
] as const

export const SEED_TAGS = [
  'caching',
  'http',
  'performance',
  'databases',
  'node',
  'observability',
  'redis',
  'compression',
  'security',
  'architecture',
  'testing',
  'operations',
] as const

const COMMENTERS = ['sam', 'riley', 'jo', 'kim', 'alex', 'noor', 'pat', 'lee', 'max', 'ivy'] as const

// Seeded dates count back from a fixed instant, so the same seed yields the same pages.
const SEED_EPOCH = Date.UTC(2025, 5, 1, 9, 0, 0)
const HOUR = 3_600_000

/**
 * Fills an empty database with a deterministic blog: demo users and other authors, `posts`
 * posts with tags, and 0 to 8 comments each. Does nothing when the database already has users.
 */
export function seedDatabase(db: Database.Database, posts: number, seed = 7): void {
  const existing = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }
  if (existing.n > 0) return
  const random = new Prng(seed)
  const insertUser = db.prepare('INSERT INTO users (username, name, bio, password_hash) VALUES (?, ?, ?, ?)')
  const insertTag = db.prepare('INSERT INTO tags (name) VALUES (?)')
  const insertPost = db.prepare(
    'INSERT INTO posts (title, body, author_id, published_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  )
  const insertPostTag = db.prepare('INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)')
  const insertComment = db.prepare(
    'INSERT INTO comments (post_id, author_name, body, created_at) VALUES (?, ?, ?, ?)',
  )
  db.transaction(() => {
    const authorIds: number[] = []
    for (const user of DEMO_USERS) {
      const info = insertUser.run(user.username, user.name, paragraph(random), hashPassword(user.password))
      authorIds.push(Number(info.lastInsertRowid))
    }
    for (const name of OTHER_AUTHORS) {
      const username = (name.split(' ')[0] ?? name).toLowerCase()
      const info = insertUser.run(username, name, paragraph(random), null)
      authorIds.push(Number(info.lastInsertRowid))
    }
    const tagIds = SEED_TAGS.map((name) => Number(insertTag.run(name).lastInsertRowid))
    for (let i = 0; i < posts; i++) {
      // Oldest first, so the newest post has the highest id.
      const publishedAt = SEED_EPOCH - (posts - i) * 17 * HOUR - random.int(0, 59) * 60_000
      const info = insertPost.run(
        title(random),
        postBody(random),
        random.pick(authorIds),
        publishedAt,
        publishedAt,
      )
      const postId = Number(info.lastInsertRowid)
      for (const tagId of random.sample(tagIds, random.int(1, 3))) insertPostTag.run(postId, tagId)
      const comments = random.int(0, 8)
      for (let c = 0; c < comments; c++) {
        insertComment.run(
          postId,
          random.pick(COMMENTERS),
          sentence(random),
          publishedAt + (c + 1) * random.int(1, 30) * HOUR,
        )
      }
    }
  })()
}
