import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The benchmark page: a ~45 KB blog front page rendered per request by a template function over
 * data, after a 5 ms wait that stands for the database. It is never a module-level constant
 * string: V8 keeps a constant in a form that flatters every cache (koa-cash served 19.5k/s of a
 * constant but 6-7k/s of the same page rendered per request, see DESIGN.md).
 */

/** One post as the front page lists it. */
export interface PostSummary {
  id: number
  title: string
  author: string
  published: string
  tags: readonly string[]
  excerpt: string
}

/** Stands for the database round-trip before rendering. */
export const DATABASE_WAIT_MS = 5

const WORDS = (
  'cache latency header stream brotli gzip origin request response socket buffer worker ' +
  'kernel queue session cookie proxy vary etag freshness policy window token bucket ' +
  'redis memory cluster shard replica eviction bound budget metric sample median'
).split(' ')

/** Deterministic pseudo-random words (mulberry32), so every run renders the same bytes. */
function wordsFrom(seed: number, count: number): string {
  let state = seed >>> 0
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out.push(WORDS[((t ^ (t >>> 14)) >>> 0) % WORDS.length]!)
  }
  return out.join(' ')
}

/** The rows the front page shows (the "query result"). */
export function frontPagePosts(count = 30): PostSummary[] {
  const posts: PostSummary[] = []
  for (let id = 1; id <= count; id++) {
    posts.push({
      id,
      title: wordsFrom(id * 7, 6),
      author: wordsFrom(id * 13, 2),
      published: new Date(Date.UTC(2026, 0, id)).toISOString().slice(0, 10),
      tags: wordsFrom(id * 17, 3).split(' '),
      excerpt: wordsFrom(id * 31, 165),
    })
  }
  return posts
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** Renders the front page from its rows: a fresh string on every call. */
export function renderFrontPage(posts: readonly PostSummary[]): string {
  let html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>brisk blog</title>' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<link rel="stylesheet" href="/static/site.css"></head><body><header><h1>brisk blog</h1>' +
    '<nav><a href="/">Home</a> <a href="/tags">Tags</a> <a href="/about">About</a></nav></header><main>'
  for (const post of posts) {
    html +=
      `<article class="post" id="post-${post.id}"><h2><a href="/posts/${post.id}">${escapeHtml(post.title)}</a></h2>` +
      `<p class="meta">by ${escapeHtml(post.author)} on <time datetime="${post.published}">${post.published}</time></p>` +
      `<ul class="tags">${post.tags.map((tag) => `<li><a href="/tags/${encodeURIComponent(tag)}">${escapeHtml(tag)}</a></li>`).join('')}</ul>` +
      `<p>${escapeHtml(post.excerpt)}</p></article>`
  }
  return html + '</main><footer><p>Rendered by the brisk benchmark.</p></footer></body></html>'
}

const POSTS = frontPagePosts()

/** What a page handler does per request: wait for "the database", then render. */
export async function loadFrontPage(): Promise<string> {
  await sleep(DATABASE_WAIT_MS)
  return renderFrontPage(POSTS)
}

/** The same page's bytes built once, for the ceilings that measure only the framework. */
export function prebuiltFrontPage(): Buffer {
  return Buffer.from(renderFrontPage(POSTS))
}

/** A ~1 KB JSON body rendered per request, without a wait: the route the limiters sit in front of. */
export function renderSmallBody(): string {
  const items: { id: number; name: string }[] = []
  for (let id = 0; id < 33; id++) items.push({ id, name: WORDS[id % WORDS.length]! + '-item' })
  return JSON.stringify({ ok: true, items })
}

export const HTML = 'text/html; charset=utf-8'
export const JSON_TYPE = 'application/json; charset=utf-8'
