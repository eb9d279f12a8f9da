import { pageNumber, postId, tagName } from './input.js'
import { html } from './responses.js'
import { HttpError, type Route, type RouteDeps } from './route.js'

/** Posts per list page. */
export const PAGE_SIZE = 10
const SEARCH_LIMIT = 20
const MAX_QUERY = 200

/** The public HTML pages: the same for every visitor, so a shared cache may keep them. */
export function pageRoutes({ queries, renderer, queryCache }: RouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/',
      async handler(req) {
        const page = pageNumber(req.url)
        const list = req.timing.measure('db', () => queries.listPosts(page, PAGE_SIZE))
        // The tag cloud (a GROUP BY over every post) is the same on every page of the list.
        const tags = await req.timing.measureAsync('db', () =>
          queryCache.get('tag-cloud', ['list'], () => queries.tags()),
        )
        if (page > list.pageCount) throw new HttpError(404, `There is no page ${page}`)
        const title = page === 1 ? 'Latest posts' : `Latest posts, page ${page}`
        return html(
          req.timing.measure('render', () => renderer.page('home', title, { list, tags })),
          'shared',
          ['list'],
        )
      },
    },
    {
      method: 'GET',
      path: '/posts/:id',
      handler(req) {
        const id = postId(req.params.id)
        const post = req.timing.measure('db', () => queries.post(id))
        if (post === undefined) throw new HttpError(404, 'No such post')
        return html(
          req.timing.measure('render', () => renderer.page('post', post.title, { post })),
          'shared',
          [`post:${id}`],
        )
      },
    },
    {
      method: 'GET',
      path: '/tags/:name',
      handler(req) {
        const tag = tagName(req.params.name)
        const page = pageNumber(req.url)
        const list = req.timing.measure('db', () => queries.listTagged(tag, page, PAGE_SIZE))
        if (list.total === 0 || page > list.pageCount) throw new HttpError(404, 'No posts here')
        return html(
          req.timing.measure('render', () => renderer.page('tag', `#${tag}`, { tag, list })),
          'shared',
          [`tag:${tag}`],
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
