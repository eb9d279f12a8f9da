import { describe, expect, test } from 'vitest'
import { BlogQueries } from '../src/queries.js'
import { openDatabase } from '../src/schema.js'
import { seedDatabase } from '../src/seed.js'

function seeded(posts: number) {
  const db = openDatabase(':memory:')
  seedDatabase(db, posts)
  return { db, queries: new BlogQueries(db) }
}

describe('seedDatabase', () => {
  test('the same seed writes the same posts, tags and comments', () => {
    const a = seeded(40)
    const b = seeded(40)
    const snapshot = (queries: BlogQueries) =>
      queries.listPosts(1, 40).items.map((post) => ({ ...queries.post(post.id) }))
    expect(snapshot(a.queries)).toEqual(snapshot(b.queries))
    a.db.close()
    b.db.close()
  })

  test('it writes the requested number of posts, each with 1 to 3 tags and varied text', () => {
    const { db, queries } = seeded(300)
    const all = queries.listPosts(1, 1000)
    expect(all.total).toBe(300)
    for (const post of all.items) expect(post.tags.length).toBeGreaterThanOrEqual(1)
    expect(new Set(all.items.map((post) => post.title)).size).toBeGreaterThan(150)
    expect(all.items.some((post) => post.commentCount > 0)).toBe(true)
    db.close()
  })

  test('a database that already has data is left alone', () => {
    const { db, queries } = seeded(10)
    seedDatabase(db, 50)
    expect(queries.listPosts(1, 100).total).toBe(10)
    db.close()
  })

  test('the demo users can log in and other authors cannot', () => {
    const { db, queries } = seeded(1)
    expect(queries.credentials('alice')?.passwordHash).toMatch(/^scrypt\$/)
    expect(queries.credentials('chen')).toBeUndefined()
    expect(queries.credentials('nobody')).toBeUndefined()
    db.close()
  })

  test('search keeps up with edits through the full-text triggers', () => {
    const { db, queries } = seeded(5)
    const id = queries.createPost(1, {
      title: 'Quokka latency',
      body: 'Marsupial throughput.',
      tags: ['zoo'],
    })
    expect(queries.search('quokka', 10).map((post) => post.id)).toEqual([id])
    queries.updatePost(id, { title: 'Wombat latency', body: 'Burrow.', tags: [] })
    expect(queries.search('quokka', 10)).toEqual([])
    expect(queries.search('wombat', 10).map((post) => post.id)).toEqual([id])
    queries.deletePost(id)
    expect(queries.search('wombat', 10)).toEqual([])
    db.close()
  })
})
