import { pageNumber, postId, tagName } from './input.js'
import { html } from './responses.js'
import { HttpError, type Route, type RouteDeps } from './route.js'

/**
 * Posts per list page: with two-paragraph excerpts the home page weighs 30-50 KB like a real
 * blog's, which is the page the benchmarks serve.
 */
export const PAGE_SIZE = 20
const SEARCH_LIMIT = 20
const MAX_QUERY = 200

/**
 * The public HTML pages: the same for every visitor, so a shared cache may keep them. They are
 * built from the data cache's fragments (`fragments.ts`); every page shows the sidebar, so
 * every page carries its tag `list` as well as its own.
 */
export function pageRoutes({ queries, renderer, fragments }: RouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/',
      async handler(req) {
        const page = pageNumber(req.url)
        const [list, sidebar] = await req.timing.measureAsync('db', () =>
          Promise.all([fragments.latest(page, PAGE_SIZE), fragments.sidebar()]),
        )
        if (page > list.pageCount) throw new HttpError(404, `There is no page ${page}`)
        const title = page === 1 ? 'Latest posts' : `Latest posts, page ${page}`
        return html(
          req.timing.measure('render', () => renderer.page('home', title, { list, sidebar })),
          'shared',
          ['list'],
        )
      },
    },
    {
      method: 'GET',
      path: '/posts/:id',
      async handler(req) {
        const id = postId(req.params.id)
        const [record, sidebar] = await req.timing.measureAsync('db', () =>
          Promise.all([fragments.post(id), fragments.sidebar()]),
        )
        if (record === null) throw new HttpError(404, 'No such post')
        // Comments only for a post that exists: an unknown id costs one small cached entry, not two.
        const post = {
          ...record,
          comments: await req.timing.measureAsync('db', () => fragments.comments(id)),
        }
        return html(
          req.timing.measure('render', () => renderer.page('post', post.title, { post, sidebar })),
          'shared',
          [`post:${id}`, 'list'],
        )
      },
    },
    {
      method: 'GET',
      path: '/tags/:name',
      async handler(req) {
        const tag = tagName(req.params.name)
        const page = pageNumber(req.url)
        const [list, sidebar] = await req.timing.measureAsync('db', () =>
          Promise.all([fragments.tagged(tag, page, PAGE_SIZE), fragments.sidebar()]),
        )
        if (list.total === 0 || page > list.pageCount) throw new HttpError(404, 'No posts here')
        return html(
          req.timing.measure('render', () => renderer.page('tag', `#${tag}`, { tag, list, sidebar })),
          'shared',
          [`tag:${tag}`, 'list'],
        )
      },
    },
    {
      // Search answers depend on a free-text query: storing them would fill the cache with
      // entries nobody asks for twice, so they are marked no-store by design.
      method: 'GET',
      path: '/search',
      handler(req) {
        const query = (req.url.searchParams.get('q') ?? '').trim().slice(0, MAX_QUERY)
        const results =
          query === '' ? [] : req.timing.measure('db', () => queries.search(query, SEARCH_LIMIT))
        const title = query === '' ? 'Search' : `Search: ${query}`
        return html(
          req.timing.measure('render', () => renderer.page('search', title, { query, results })),
          'no-store',
        )
      },
    },
  ]
}
