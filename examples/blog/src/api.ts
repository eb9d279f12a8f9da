import { pageNumber, postId } from './input.js'
import { PAGE_SIZE } from './pages.js'
import { json } from './responses.js'
import { HttpError, type Route, type RouteDeps } from './route.js'

/** The read-only JSON API, cached and tagged like the HTML pages it mirrors. */
export function apiRoutes({ queries }: RouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/posts',
      handler(req) {
        const page = pageNumber(req.url)
        const list = req.timing.measure('db', () => queries.listPosts(page, PAGE_SIZE))
        if (page > list.pageCount) throw new HttpError(404, `There is no page ${page}`)
        return json(
          {
            posts: list.items,
            page: list.page,
            pageCount: list.pageCount,
            total: list.total,
            next: list.page < list.pageCount ? `/api/posts?page=${list.page + 1}` : null,
          },
          'shared',
          ['list'],
        )
      },
    },
    {
      method: 'GET',
      path: '/api/posts/:id',
      handler(req) {
        const id = postId(req.params.id)
        const post = req.timing.measure('db', () => queries.post(id))
        if (post === undefined) throw new HttpError(404, 'No such post')
        return json(post, 'shared', [`post:${id}`])
      },
    },
  ]
}
