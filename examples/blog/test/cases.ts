import type { RequestListener } from 'node:http'
import type { Logger } from 'pino'
import request from 'supertest'
import { expect, vi } from 'vitest'
import type { Blog } from '../src/blog.js'
import type { BriskSwitches } from '../src/config.js'
import { POPULAR_POSTS } from '../src/fragments.js'
import { PAGE_SIZE } from '../src/pages.js'

/** An app of the entry point under test, built with some brisk middlewares switched. */
export type AppFactory = (switches: Partial<BriskSwitches>) => {
  listener: RequestListener
  blog: Blog
  close(): Promise<void>
}

/** What each case gets: the app under test and the blog behind it (to check against the database). */
export interface CaseContext {
  listener: RequestListener
  blog: Blog
  /** Builds another app of the same framework (closed by the case itself). */
  create: AppFactory
}

/** Runs `check` against a fresh app with these switches, and closes it. */
async function withApp(
  create: AppFactory,
  switches: Partial<BriskSwitches>,
  check: (app: { listener: RequestListener; blog: Blog }) => Promise<void>,
): Promise<void> {
  const app = create(switches)
  try {
    await check(app)
  } finally {
    await app.close()
  }
}

/** One behaviour, checked the same way against every entry point. */
export interface BlogCase {
  name: string
  run(context: CaseContext): Promise<void>
}

const SHARED = 'public, max-age=0, s-maxage=300'
const PRIVATE = 'private, no-store'

/** Logs a demo user in and returns the `Cookie` header value for later requests. */
export async function login(
  listener: RequestListener,
  username = 'alice',
  password = 'demo',
): Promise<string> {
  const response = await request(listener)
    .post('/login')
    .type('form')
    .send({ username, password })
    .expect(303)
  const setCookie = response.headers['set-cookie'] as unknown as string[]
  return setCookie[0]!.split(';', 1)[0]!
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1
}

/** Counts the SQLite reads the data cache stands in front of, from now on. */
function spyOnQueries(blog: Blog): () => Record<string, number> {
  const names = ['listPostIds', 'tags', 'popularIds', 'postRecord', 'comments'] as const
  const spies = names.map((name) => [name, vi.spyOn(blog.queries, name)] as const)
  return () => Object.fromEntries(spies.map(([name, spy]) => [name, spy.mock.calls.length]))
}

/** The list page (of PAGE_SIZE posts) on which `id` appears. */
function pageOf(ids: readonly number[], id: number): number {
  return Math.floor(ids.indexOf(id) / PAGE_SIZE) + 1
}

/** The "Most discussed" part of a page's sidebar. */
function popularSidebar(page: string): string {
  const start = page.indexOf('<section class="popular">')
  expect(start).toBeGreaterThan(-1)
  return page.slice(start, page.indexOf('</section>', start))
}

/** The one table of cases both the Koa and the Express app must pass. */
export const CASES: BlogCase[] = [
  {
    name: 'the home page lists the newest posts as a shared HTML page of a real blog page size',
    async run({ listener, blog }) {
      const response = await request(listener).get('/').expect(200)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(response.headers['cache-control']).toBe(SHARED)
      expect(count(response.text, '<article class="summary">')).toBe(PAGE_SIZE)
      // The benchmarks serve this page: it should weigh what a real blog's home page does.
      expect(response.text.length).toBeGreaterThan(25_000)
      expect(response.text.length).toBeLessThan(60_000)
      const newest = blog.queries.listPosts(1, 1).items[0]!
      expect(response.text).toContain(`href="/posts/${newest.id}"`)
      expect(response.text).toContain('rel="next" href="/?page=2"')
    },
  },
  {
    name: 'the second page continues where the first stopped and links back',
    async run({ listener, blog }) {
      const response = await request(listener).get('/?page=2').expect(200)
      const expected = blog.queries.listPosts(2, PAGE_SIZE).items
      for (const post of expected) expect(response.text).toContain(`href="/posts/${post.id}"`)
      expect(response.text).not.toContain(`href="/posts/${blog.queries.listPosts(1, 1).items[0]!.id}"`)
      expect(response.text).toContain('rel="prev" href="/?page=1"')
    },
  },
  {
    name: 'a page number past the last page is 404',
    async run({ listener }) {
      const response = await request(listener).get('/?page=9999').expect(404)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(response.headers['cache-control']).toBe('no-store')
    },
  },
  {
    name: 'a page parameter that is not a number is 400',
    async run({ listener }) {
      await request(listener).get('/?page=two').expect(400)
      await request(listener).get('/?page=0').expect(400)
      await request(listener).get('/api/posts?page=-1').expect(400)
    },
  },
  {
    name: 'a post page shows the post and its comments',
    async run({ listener, blog }) {
      const id = blog.queries.listPosts(1, 50).items.find((post) => post.commentCount >= 2)!.id
      const post = blog.queries.post(id)!
      const response = await request(listener).get(`/posts/${id}`).expect(200)
      expect(response.headers['cache-control']).toBe(SHARED)
      expect(response.text).toContain(`<h1>${post.title}</h1>`)
      expect(count(response.text, '<li id="comment-')).toBe(post.comments.length)
      for (const comment of post.comments) expect(response.text).toContain(comment.body)
    },
  },
  {
    name: 'an unknown or malformed post id is 404',
    async run({ listener }) {
      await request(listener).get('/posts/999999').expect(404)
      await request(listener).get('/posts/abc').expect(404)
      await request(listener).get('/posts/1e3').expect(404)
    },
  },
  {
    name: 'a tag page lists only posts with that tag',
    async run({ listener, blog }) {
      const response = await request(listener).get('/tags/caching').expect(200)
      expect(response.headers['cache-control']).toBe(SHARED)
      const expected = blog.queries.listTagged('caching', 1, PAGE_SIZE)
      expect(expected.total).toBeGreaterThan(0)
      expect(count(response.text, '<article class="summary">')).toBe(expected.items.length)
      for (const post of expected.items) expect(response.text).toContain(`href="/posts/${post.id}"`)
    },
  },
  {
    name: 'a path with a malformed percent-encoding is 400, and a malformed query value is ignored',
    async run({ listener }) {
      await request(listener).get('/posts/%E0%A4%A').expect(400)
      const tag = await request(listener).get('/tags/%zz').expect(400)
      expect(tag.headers['content-type']).toBe('text/html; charset=utf-8')
      await request(listener).get('/search?q=%zz').expect(200)
      await request(listener).get('/static/..%2f..%2fpackage.json').expect(404)
    },
  },
  {
    name: 'an unknown tag is 404',
    async run({ listener }) {
      await request(listener).get('/tags/no-such-tag').expect(404)
      await request(listener).get('/tags/%3Cscript%3E').expect(404)
    },
  },
  {
    name: 'search finds posts by their words and is never cacheable',
    async run({ listener, blog }) {
      const post = blog.queries.listPosts(3, 1).items[0]!
      const word = post.title
        .split(' ')
        .find((w) => w.length > 6)!
        .replace(/\W/g, '')
      const response = await request(listener)
        .get(`/search?q=${encodeURIComponent(word)}`)
        .expect(200)
      expect(response.headers['cache-control']).toBe('no-store')
      expect(response.text).toContain('<article class="summary">')
      expect(response.text).toMatch(new RegExp(`\\d+ results? for “${word}”`))
    },
  },
  {
    name: 'search treats full-text operators and markup as plain words',
    async run({ listener }) {
      const response = await request(listener)
        .get(`/search?q=${encodeURIComponent('"cache" AND NEAR( <script>alert(1)</script> *')}`)
        .expect(200)
      expect(response.text).not.toContain('<script>alert(1)</script>')
      expect(response.text).toContain('&lt;script&gt;')
    },
  },
  {
    name: 'the JSON list API pages through posts',
    async run({ listener, blog }) {
      const response = await request(listener).get('/api/posts?page=2').expect(200)
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(response.headers['cache-control']).toBe(SHARED)
      const body = response.body as {
        posts: Array<{ id: number }>
        page: number
        pageCount: number
        next: string
      }
      expect(body.page).toBe(2)
      expect(body.posts.map((p) => p.id)).toEqual(blog.queries.listPosts(2, PAGE_SIZE).items.map((p) => p.id))
      expect(body.next).toBe('/api/posts?page=3')
    },
  },
  {
    name: 'the JSON post API returns the post with its comments, or a JSON 404',
    async run({ listener, blog }) {
      const id = blog.queries.listPosts(1, 1).items[0]!.id
      const response = await request(listener).get(`/api/posts/${id}`).expect(200)
      expect(response.body).toEqual(JSON.parse(JSON.stringify(blog.queries.post(id))))
      const missing = await request(listener).get('/api/posts/424242').expect(404)
      expect(missing.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(missing.body).toMatchObject({ error: 'Not Found' })
    },
  },
  {
    name: 'the account page sends visitors without a session to the login form',
    async run({ listener }) {
      const response = await request(listener).get('/account').expect(303)
      expect(response.headers.location).toBe('/login')
      expect(response.headers['cache-control']).toBe(PRIVATE)
    },
  },
  {
    name: 'logging in sets a signed, HttpOnly, SameSite session cookie and redirects to the account',
    async run({ listener }) {
      const response = await request(listener)
        .post('/login')
        .type('form')
        .send({ username: 'alice', password: 'demo' })
        .expect(303)
      expect(response.headers.location).toBe('/account')
      expect(response.headers['cache-control']).toBe(PRIVATE)
      const [cookie] = response.headers['set-cookie'] as unknown as string[]
      expect(cookie).toMatch(
        /^blog_session=\d+\.\d+\.[\w-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax$/,
      )
    },
  },
  {
    name: "the account page shows the user's name and is private, no-store",
    async run({ listener }) {
      const cookie = await login(listener, 'bob')
      const response = await request(listener).get('/account').set('Cookie', cookie).expect(200)
      expect(response.headers['cache-control']).toBe(PRIVATE)
      expect(response.text).toContain('Hello, Bob Okafor')
    },
  },
  {
    name: 'a wrong password is 401 and sets no cookie',
    async run({ listener }) {
      const response = await request(listener)
        .post('/login')
        .type('form')
        .send({ username: 'alice', password: 'wrong' })
        .expect(401)
      expect(response.headers['set-cookie']).toBeUndefined()
      expect(response.text).toContain('wrong password')
    },
  },
  {
    name: 'a forged session cookie counts as logged out',
    async run({ listener }) {
      const cookie = await login(listener, 'alice')
      const forged = cookie.replace(/^blog_session=\d+/, 'blog_session=2')
      await request(listener).get('/account').set('Cookie', forged).expect(303)
    },
  },
  {
    name: 'logging out clears the session cookie',
    async run({ listener }) {
      const cookie = await login(listener)
      const response = await request(listener).post('/logout').set('Cookie', cookie).expect(303)
      const [cleared] = response.headers['set-cookie'] as unknown as string[]
      expect(cleared).toMatch(/^blog_session=; Max-Age=0;/)
    },
  },
  {
    name: 'the admin pages and API require a login',
    async run({ listener }) {
      const page = await request(listener).get('/admin/posts').expect(303)
      expect(page.headers.location).toBe('/login')
      await request(listener).post('/admin/posts').type('form').send({ title: 'x', body: 'y' }).expect(303)
      const api = await request(listener).post('/api/admin/posts').send({ title: 'x', body: 'y' }).expect(401)
      expect(api.headers['content-type']).toBe('application/json; charset=utf-8')
      await request(listener).delete('/api/admin/posts/1').expect(401)
    },
  },
  {
    name: 'an edit through the admin API is visible on the next request to every page it touches',
    async run({ listener }) {
      const cookie = await login(listener)
      const created = await request(listener)
        .post('/api/admin/posts')
        .set('Cookie', cookie)
        .send({ title: 'Draft about Redis', body: 'First words.', tags: ['redis'] })
        .expect(201)
      const id = (created.body as { id: number }).id
      expect(created.headers.location).toBe(`/api/posts/${id}`)
      // Read every affected page twice: the cache now holds the old versions and serves them.
      for (const path of [`/posts/${id}`, '/', '/tags/redis', `/api/posts/${id}`]) {
        await request(listener).get(path).expect(200)
        expect((await request(listener).get(path).expect(200)).headers['cache-status']).toMatch(/; hit/)
      }
      await request(listener)
        .put(`/api/admin/posts/${id}`)
        .set('Cookie', cookie)
        .send({ title: 'Redis, revisited', body: 'Second thoughts.', tags: ['redis', 'edited-tag'] })
        .expect(200)
      const post = await request(listener).get(`/posts/${id}`).expect(200)
      expect(post.text).toContain('<h1>Redis, revisited</h1>')
      expect(post.text).toContain('Second thoughts.')
      expect((await request(listener).get('/').expect(200)).text).toContain('Redis, revisited')
      expect((await request(listener).get('/tags/redis').expect(200)).text).toContain('Redis, revisited')
      expect((await request(listener).get('/tags/edited-tag').expect(200)).text).toContain('Redis, revisited')
      expect((await request(listener).get(`/api/posts/${id}`).expect(200)).body).toMatchObject({
        title: 'Redis, revisited',
      })
    },
  },
  {
    name: 'the admin form creates and edits posts, and rejects invalid input with 422',
    async run({ listener }) {
      const cookie = await login(listener)
      const created = await request(listener)
        .post('/admin/posts')
        .set('Cookie', cookie)
        .type('form')
        .send({ title: 'Form post', body: 'Written in a form.', tags: 'testing, http' })
        .expect(303)
      const location = created.headers.location as string
      expect(location).toMatch(/^\/posts\/\d+$/)
      const id = location.split('/')[2]!
      const edit = await request(listener).get(`/admin/posts/${id}/edit`).set('Cookie', cookie).expect(200)
      expect(edit.headers['cache-control']).toBe(PRIVATE)
      expect(edit.text).toContain('value="Form post"')
      expect(edit.text).toContain('value="http, testing"')
      const invalid = await request(listener)
        .post(`/admin/posts/${id}`)
        .set('Cookie', cookie)
        .type('form')
        .send({ title: '', body: 'text', tags: '' })
        .expect(422)
      expect(invalid.text).toContain('The title must have')
      await request(listener)
        .post(`/admin/posts/${id}`)
        .set('Cookie', cookie)
        .type('form')
        .send({ title: 'Form post, edited', body: 'Edited.', tags: 'testing' })
        .expect(303)
      expect((await request(listener).get(`/posts/${id}`).expect(200)).text).toContain('Form post, edited')
    },
  },
  {
    name: 'a deleted post is gone on the next request',
    async run({ listener }) {
      const cookie = await login(listener)
      const created = await request(listener)
        .post('/api/admin/posts')
        .set('Cookie', cookie)
        .send({ title: 'Short-lived', body: 'Gone soon.', tags: [] })
        .expect(201)
      const id = (created.body as { id: number }).id
      await request(listener).get(`/posts/${id}`).expect(200)
      await request(listener).delete(`/api/admin/posts/${id}`).set('Cookie', cookie).expect(204)
      await request(listener).get(`/posts/${id}`).expect(404)
      await request(listener).delete(`/api/admin/posts/${id}`).set('Cookie', cookie).expect(404)
    },
  },
  {
    name: 'the admin API answers bad bodies with 400, 413, 415 and 422',
    async run({ listener }) {
      const cookie = await login(listener)
      const post = () => request(listener).post('/api/admin/posts').set('Cookie', cookie)
      await post().set('Content-Type', 'application/json').send('{"title":').expect(400)
      await post().set('Content-Type', 'application/json').send('[1,2]').expect(400)
      await post().type('form').send({ title: 'x', body: 'y' }).expect(415)
      await post()
        .send({ title: 'x', body: 'y'.repeat(70_000) })
        .expect(413)
      const invalid = await post()
        .send({ title: 'x', body: 'y', tags: ['Not A Tag!'] })
        .expect(422)
      expect(invalid.body).toMatchObject({ error: 'Unprocessable Entity' })
    },
  },
  {
    name: '/metrics exposes brisk counters and response counts in Prometheus format',
    async run({ listener, blog }) {
      await request(listener).get('/').expect(200)
      blog.briskMetrics.inc('cache.hit', 3)
      const response = await request(listener).get('/metrics').expect(200)
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
      expect(response.headers['cache-control']).toBe('no-store')
      expect(response.text).toMatch(/^brisk_cache_hit_total \d+$/m)
      expect(response.text).toMatch(/^brisk_compress_bytes_in_total \d+$/m)
      expect(response.text).toMatch(/^brisk_ratelimit_limited_total \d+$/m)
      expect(response.text).toMatch(/^brisk_backend_error_total \d+$/m)
      expect(response.text).toMatch(/^blog_http_responses_total\{method="GET",status="200"\} \d+$/m)
      const hits = Number(/^brisk_cache_hit_total (\d+)$/m.exec(response.text)![1])
      expect(hits).toBe(blog.briskMetrics.get('cache.hit'))
    },
  },
  {
    name: 'with request logging on, each response is logged once with its status and Cache-Status',
    async run({ listener, blog }) {
      const lines: Array<Record<string, unknown>> = []
      const previous = blog.requestLogger
      blog.requestLogger = { info: (line: Record<string, unknown>) => lines.push(line) } as unknown as Logger
      try {
        await request(listener).get('/posts/11').expect(200)
        await request(listener).get('/posts/11').expect(200)
        await request(listener).get('/nope').expect(404)
      } finally {
        blog.requestLogger = previous
      }
      expect(lines.map(({ method, url, status }) => ({ method, url, status }))).toEqual([
        { method: 'GET', url: '/posts/11', status: 200 },
        { method: 'GET', url: '/posts/11', status: 200 },
        { method: 'GET', url: '/nope', status: 404 },
      ])
      expect(lines[1]!.cache).toMatch(/; hit/)
      expect(typeof lines[0]!.ms).toBe('number')
    },
  },
  {
    name: 'static assets have content-hashed names and are immutable for a year',
    async run({ listener }) {
      const home = await request(listener).get('/').expect(200)
      const css = /href="(\/static\/style\.[0-9a-f]{12}\.css)"/.exec(home.text)![1]!
      const js = /src="(\/static\/app\.[0-9a-f]{12}\.js)"/.exec(home.text)![1]!
      const style = await request(listener).get(css).expect(200)
      expect(style.headers['content-type']).toBe('text/css; charset=utf-8')
      expect(style.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      const script = await request(listener).get(js).expect(200)
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
      await request(listener).get('/static/style.000000000000.css').expect(404)
    },
  },
  {
    name: 'responses carry a Server-Timing header with the handler, database and render times',
    async run({ listener }) {
      const response = await request(listener).get('/').expect(200)
      expect(response.headers['server-timing']).toMatch(
        /^db;dur=\d+\.\d\d, render;dur=\d+\.\d\d, app;dur=\d+\.\d\d$/,
      )
    },
  },
  {
    name: 'an unknown address is an HTML 404 that nobody stores',
    async run({ listener }) {
      const response = await request(listener).get('/no/such/page').expect(404)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(response.headers['cache-control']).toBe('no-store')
      expect(response.text).toContain('404 Not Found')
    },
  },
  {
    name: 'HEAD answers like GET without a body',
    async run({ listener }) {
      const response = await request(listener).head('/posts/1').expect(200)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(response.text).toBeUndefined()
    },
  },
  {
    name: 'pages are compressed for clients that accept it, with Vary: Accept-Encoding',
    async run({ listener }) {
      const gzip = await request(listener).get('/').set('Accept-Encoding', 'gzip').expect(200)
      expect(gzip.headers['content-encoding']).toBe('gzip')
      expect(gzip.headers.vary).toMatch(/accept-encoding/i)
      expect(gzip.text).toContain('<article class="summary">')
      const brotli = await request(listener)
        .get('/api/posts')
        .set('Accept-Encoding', 'br')
        .buffer(true)
        .expect(200)
      expect(brotli.headers['content-encoding']).toBe('br')
      const identity = await request(listener).get('/').set('Accept-Encoding', 'identity').expect(200)
      expect(identity.headers['content-encoding']).toBeUndefined()
    },
  },
  {
    name: 'each compressed response counts its bytes before and after',
    async run({ create }) {
      await withApp(create, { cache: false }, async ({ listener, blog }) => {
        await request(listener).get('/').set('Accept-Encoding', 'gzip').expect(200)
        await request(listener).get('/').set('Accept-Encoding', 'br').expect(200)
        expect(blog.briskMetrics.get('compress.responses')).toBe(2)
        const bytesIn = blog.briskMetrics.get('compress.bytesIn')
        expect(bytesIn).toBeGreaterThan(2 * 4_000)
        expect(blog.briskMetrics.get('compress.bytesOut')).toBeLessThan(bytesIn / 2)
      })
    },
  },
  {
    name: 'BRISK_COMPRESS=0 sends every page uncompressed',
    async run({ create }) {
      await withApp(create, { compress: false }, async ({ listener }) => {
        const response = await request(listener).get('/').set('Accept-Encoding', 'gzip, br').expect(200)
        expect(response.headers['content-encoding']).toBeUndefined()
      })
    },
  },
  {
    name: 'pages carry an ETag and a matching If-None-Match is answered 304 without a body',
    async run({ listener }) {
      const first = await request(listener).get('/posts/5').set('Accept-Encoding', 'gzip').expect(200)
      const etag = first.headers.etag as string
      expect(etag).toMatch(/^(W\/)?"[^"]+"$/)
      const second = await request(listener)
        .get('/posts/5')
        .set('Accept-Encoding', 'gzip')
        .set('If-None-Match', etag)
        .expect(304)
      expect(second.text).toBe('')
      expect(second.headers['cache-control']).toBe(SHARED)
    },
  },
  {
    name: 'an edit changes the ETag, so a revalidating browser gets the new page',
    async run({ listener }) {
      const cookie = await login(listener)
      const created = await request(listener)
        .post('/api/admin/posts')
        .set('Cookie', cookie)
        .send({ title: 'Before', body: 'Text.', tags: [] })
        .expect(201)
      const id = (created.body as { id: number }).id
      const etag = (await request(listener).get(`/posts/${id}`).expect(200)).headers.etag as string
      await request(listener)
        .put(`/api/admin/posts/${id}`)
        .set('Cookie', cookie)
        .send({ title: 'After', body: 'Text.', tags: [] })
        .expect(200)
      const again = await request(listener).get(`/posts/${id}`).set('If-None-Match', etag).expect(200)
      expect(again.text).toContain('<h1>After</h1>')
    },
  },
  {
    name: 'with BRISK_CONDITIONAL=0 and BRISK_CACHE=0 no ETag is sent and no 304 answered',
    async run({ create }) {
      await withApp(create, { conditional: false, cache: false }, async ({ listener }) => {
        const response = await request(listener).get('/posts/5').expect(200)
        expect(response.headers.etag).toBeUndefined()
        await request(listener).get('/posts/5').set('If-None-Match', '*').expect(200)
      })
    },
  },
  ...(
    [
      ['/', 'list'],
      ['/?page=2', 'list'],
      ['/api/posts', 'list'],
      ['/posts/7', 'post:7'],
      ['/api/posts/7', 'post:7'],
      ['/tags/http', 'tag:http'],
    ] as const
  ).map(([path, tag]): BlogCase => ({
    name: `${path} is stored by the cache under tag ${tag}, and only a purge of that tag removes it`,
    async run({ create }) {
      await withApp(create, {}, async ({ listener, blog }) => {
        const status = async () =>
          (await request(listener).get(path).expect(200)).headers['cache-status'] as string
        expect(await status()).toMatch(/fwd=uri-miss; stored/)
        expect(await status()).toMatch(/; hit/)
        await blog.brisk.purgeTags!(['post:999', 'tag:nothing'])
        expect(await status()).toMatch(/; hit/)
        await blog.brisk.purgeTags!([tag])
        const afterPurge = await status()
        expect(afterPurge).not.toMatch(/; hit/)
        expect(afterPurge).toMatch(/; fwd=[a-z-]*miss; stored/)
      })
    },
  })),
  {
    name: 'a page rebuilt after a purge of list reads the post rows from the data cache, not SQLite',
    async run({ create }) {
      await withApp(create, {}, async ({ listener, blog }) => {
        await request(listener).get('/?page=3').expect(200)
        const calls = spyOnQueries(blog)
        await blog.brisk.purgeTags!(['list'])
        const page = await request(listener).get('/?page=3').expect(200)
        expect(page.headers['cache-status']).toMatch(/stored/)
        expect(count(page.text, '<article class="summary">')).toBe(PAGE_SIZE)
        // The list's ids and the sidebar carry tag list and are computed again; the rows do not.
        expect(calls()).toEqual({ listPostIds: 1, tags: 1, popularIds: 1, postRecord: 0, comments: 0 })
      })
    },
  },
  {
    name: 'a post page rebuilt after a purge of list reads its row and comments from the data cache',
    async run({ create }) {
      await withApp(create, {}, async ({ listener, blog }) => {
        const first = await request(listener).get('/posts/9').expect(200)
        const calls = spyOnQueries(blog)
        await blog.brisk.purgeTags!(['list'])
        const again = await request(listener).get('/posts/9').expect(200)
        expect(again.headers['cache-status']).toMatch(/stored/)
        expect(again.text).toBe(first.text)
        expect(calls()).toEqual({ listPostIds: 0, tags: 1, popularIds: 1, postRecord: 0, comments: 0 })
      })
    },
  },
  {
    name: 'an edited title shows on the next request in the post page, the home list, the tag page and the sidebar',
    async run({ create }) {
      await withApp(create, {}, async ({ listener, blog }) => {
        const id = blog.queries.popularIds(POPULAR_POSTS)[0]!
        const post = blog.queries.post(id)!
        const tag = post.tags[0]!
        const homePage = pageOf(blog.queries.listPostIds(1, 10_000).items, id)
        const tagPage = pageOf(blog.queries.listTaggedIds(tag, 1, 10_000).items, id)
        const paths = [`/posts/${id}`, `/?page=${homePage}`, `/tags/${tag}?page=${tagPage}`]
        // Twice each: the responses and every fragment are cached and served.
        for (const path of paths) {
          expect((await request(listener).get(path).expect(200)).text).toContain(post.title)
          expect((await request(listener).get(path).expect(200)).headers['cache-status']).toMatch(/; hit/)
        }
        const cookie = await login(listener)
        await request(listener)
          .put(`/api/admin/posts/${id}`)
          .set('Cookie', cookie)
          .send({ title: 'A title edited since', body: post.body, tags: post.tags })
          .expect(200)
        for (const path of paths) {
          const page = (await request(listener).get(path).expect(200)).text
          expect(page).not.toContain(post.title)
          expect(page).toContain(`<a href="/posts/${id}">A title edited since</a>`)
          expect(popularSidebar(page)).toContain(`<a href="/posts/${id}">A title edited since</a>`)
        }
      })
    },
  },
  {
    name: 'a new tag shows in the tag cloud on the next request',
    async run({ create }) {
      await withApp(create, {}, async ({ listener }) => {
        expect((await request(listener).get('/?page=4').expect(200)).text).not.toContain('#brand-new')
        const cookie = await login(listener)
        await request(listener)
          .post('/api/admin/posts')
          .set('Cookie', cookie)
          .send({ title: 'Tagged anew', body: 'A tag nobody used.', tags: ['brand-new'] })
          .expect(201)
        expect((await request(listener).get('/?page=4').expect(200)).text).toContain('#brand-new (1)')
      })
    },
  },
  {
    name: 'search results are never stored by the cache',
    async run({ listener }) {
      await request(listener).get('/search?q=latency').expect(200)
      const again = await request(listener).get('/search?q=latency').expect(200)
      expect(again.headers['cache-status']).not.toMatch(/; hit/)
      expect(again.headers['cache-status']).not.toMatch(/stored/)
    },
  },
  {
    name: "one user's account page is never stored nor shown to another user",
    async run({ listener }) {
      const alice = await login(listener, 'alice')
      const bob = await login(listener, 'bob')
      const first = await request(listener).get('/account').set('Cookie', alice).expect(200)
      expect(first.text).toContain('Alice Moreau')
      const second = await request(listener).get('/account').set('Cookie', bob).expect(200)
      expect(second.text).toContain('Bob Okafor')
      expect(second.text).not.toContain('Alice Moreau')
      expect(second.headers['cache-status'] ?? '').not.toMatch(/hit|stored/)
      await request(listener).get('/account').expect(303)
    },
  },
  {
    name: 'a signed-in reader shares the public pages everyone else gets from the cache',
    async run({ listener }) {
      const cookie = await login(listener, 'bob')
      await request(listener).get('/posts/9').expect(200)
      const signedIn = await request(listener).get('/posts/9').set('Cookie', cookie).expect(200)
      expect(signedIn.headers['cache-status']).toMatch(/; hit/)
    },
  },
  {
    name: 'BRISK_CACHE=0 serves every request from the app',
    async run({ create }) {
      await withApp(create, { cache: false }, async ({ listener, blog }) => {
        await request(listener).get('/').expect(200)
        const again = await request(listener).get('/').expect(200)
        expect(again.headers['cache-status']).toBeUndefined()
        expect(blog.brisk.purgeTags).toBeUndefined()
      })
    },
  },
  {
    name: 'a client over the request limit gets 429 with RateLimit fields, and /metrics counts it',
    async run({ create }) {
      await withApp(create, { requestsPerMinute: 3 }, async ({ listener, blog }) => {
        for (let i = 0; i < 3; i++) {
          const allowed = await request(listener).get('/').expect(200)
          expect(allowed.headers.ratelimit).toBeDefined()
        }
        const refused = await request(listener).get('/posts/1').expect(429)
        expect(refused.headers['retry-after']).toMatch(/^\d+$/)
        expect(blog.briskMetrics.get('ratelimit.limited')).toBe(1)
      })
    },
  },
  {
    name: 'login attempts have their own, smaller limit that reading pages does not use up',
    async run({ create }) {
      await withApp(create, { loginsPerMinute: 2 }, async ({ listener }) => {
        for (let i = 0; i < 2; i++) {
          await request(listener)
            .post('/login')
            .type('form')
            .send({ username: 'alice', password: 'x' })
            .expect(401)
        }
        await request(listener)
          .post('/login')
          .type('form')
          .send({ username: 'alice', password: 'demo' })
          .expect(429)
        await request(listener).get('/login').expect(200)
        await request(listener).get('/').expect(200)
      })
    },
  },
  {
    name: 'BRISK_RATELIMIT=0 sends no RateLimit fields and never 429',
    async run({ create }) {
      await withApp(create, { rateLimit: false, loginsPerMinute: 1 }, async ({ listener }) => {
        const response = await request(listener).get('/').expect(200)
        expect(response.headers.ratelimit).toBeUndefined()
        for (let i = 0; i < 3; i++) {
          await request(listener)
            .post('/login')
            .type('form')
            .send({ username: 'a', password: 'b' })
            .expect(401)
        }
      })
    },
  },
  {
    name: 'in front mode brisk answers hits and 304s before the framework runs, with the same pages',
    async run({ create }) {
      await withApp(create, { mode: 'front' }, async ({ listener }) => {
        const first = await request(listener).get('/posts/3').expect(200)
        expect(first.headers['cache-status']).toMatch(/stored/)
        const hit = await request(listener).get('/posts/3').expect(200)
        expect(hit.headers['cache-status']).toMatch(/; hit/)
        expect(hit.text).toBe(first.text)
        await request(listener)
          .get('/posts/3')
          .set('If-None-Match', first.headers.etag as string)
          .expect(304)
      })
    },
  },
]
