import { currentUser } from './account.js'
import { InvalidPostError, pageNumber, postId, postInput } from './input.js'
import type { PostInput, User } from './queries.js'
import { readForm, readJsonObject } from './request-body.js'
import { html, json, seeOther } from './responses.js'
import { HttpError, type Route, type RouteDeps, type RouteRequest, type RouteResult } from './route.js'

const ADMIN_PAGE_SIZE = 50

/**
 * The writing side: an HTML form and a JSON API to create, edit and delete posts, behind the
 * session. Every change purges the cache tags of the pages it touches before answering, so
 * the next request shows it.
 */
export function adminRoutes(deps: RouteDeps): Route[] {
  const { queries, renderer, purge } = deps

  /** The signed-in user; otherwise the HTML pages send to the login form and the API says 401. */
  const requireUser = (req: RouteRequest, api: boolean): User => {
    const user = currentUser(deps, req)
    if (user !== undefined) return user
    if (api) throw new HttpError(401, 'Log in first')
    throw new LoginRequired()
  }

  const editPage = (input: PostInput, id?: number, error?: string, status = 200): RouteResult =>
    html(
      renderer.page('admin-edit', id === undefined ? 'New post' : 'Edit post', { input, postId: id, error }),
      'private',
      undefined,
      status,
    )

  const formInput = async (
    req: RouteRequest,
  ): Promise<{ raw: PostInput; input?: PostInput; error?: string }> => {
    const form = await readForm(req.raw)
    const fields = {
      title: form.get('title') ?? '',
      body: form.get('body') ?? '',
      tags: form.get('tags') ?? '',
    }
    const raw = { title: fields.title, body: fields.body, tags: fields.tags.split(',').map((t) => t.trim()) }
    try {
      return { raw, input: postInput(fields) }
    } catch (error) {
      if (error instanceof InvalidPostError) return { raw, error: error.message }
      throw error
    }
  }

  const create = async (user: User, input: PostInput): Promise<number> => {
    const id = queries.createPost(user.id, input)
    await purge.postChanged(id, input.tags)
    return id
  }

  const update = async (id: number, input: PostInput): Promise<boolean> => {
    const before = queries.post(id)
    if (before === undefined || !queries.updatePost(id, input)) return false
    await purge.postChanged(id, [...before.tags, ...input.tags])
    return true
  }

  const remove = async (id: number): Promise<boolean> => {
    const before = queries.post(id)
    if (before === undefined || !queries.deletePost(id)) return false
    await purge.postChanged(id, before.tags)
    return true
  }

  return [
    {
      method: 'GET',
      path: '/admin/posts',
      handler: guard((req) => {
        requireUser(req, false)
        const list = queries.listPosts(pageNumber(req.url), ADMIN_PAGE_SIZE)
        return html(renderer.page('admin-posts', 'Posts', { list }), 'private')
      }),
    },
    {
      method: 'GET',
      path: '/admin/posts/new',
      handler: guard((req) => {
        requireUser(req, false)
        return editPage({ title: '', body: '', tags: [] })
      }),
    },
    {
      method: 'POST',
      path: '/admin/posts',
      handler: guard(async (req) => {
        const user = requireUser(req, false)
        const { raw, input, error } = await formInput(req)
        if (input === undefined) return editPage(raw, undefined, error, 422)
        return seeOther(`/posts/${await create(user, input)}`, 'private')
      }),
    },
    {
      method: 'GET',
      path: '/admin/posts/:id/edit',
      handler: guard((req) => {
        requireUser(req, false)
        const id = postId(req.params.id)
        const post = queries.post(id)
        if (post === undefined) throw new HttpError(404, 'No such post')
        return editPage({ title: post.title, body: post.body, tags: post.tags }, id)
      }),
    },
    {
      method: 'POST',
      path: '/admin/posts/:id',
      handler: guard(async (req) => {
        requireUser(req, false)
        const id = postId(req.params.id)
        const { raw, input, error } = await formInput(req)
        if (input === undefined) return editPage(raw, id, error, 422)
        if (!(await update(id, input))) throw new HttpError(404, 'No such post')
        return seeOther(`/posts/${id}`, 'private')
      }),
    },
    {
      method: 'POST',
      path: '/admin/posts/:id/delete',
      handler: guard(async (req) => {
        requireUser(req, false)
        if (!(await remove(postId(req.params.id)))) throw new HttpError(404, 'No such post')
        return seeOther('/admin/posts', 'private')
      }),
    },
    {
      method: 'POST',
      path: '/api/admin/posts',
      async handler(req) {
        const user = requireUser(req, true)
        const input = postInput(await readJsonObject(req.raw))
        const id = await create(user, input)
        return { ...json({ id }, 'private', undefined, 201), headers: { location: `/api/posts/${id}` } }
      },
    },
    {
      method: 'PUT',
      path: '/api/admin/posts/:id',
      async handler(req) {
        requireUser(req, true)
        const id = postId(req.params.id)
        if (!(await update(id, postInput(await readJsonObject(req.raw)))))
          throw new HttpError(404, 'No such post')
        return json({ id }, 'private')
      },
    },
    {
      method: 'DELETE',
      path: '/api/admin/posts/:id',
      async handler(req) {
        requireUser(req, true)
        if (!(await remove(postId(req.params.id)))) throw new HttpError(404, 'No such post')
        return { status: 204, cache: 'private' }
      },
    },
  ]
}

/** Thrown by an HTML admin page when nobody is signed in. */
class LoginRequired extends Error {}

/** Turns {@link LoginRequired} into a redirect to the login form. */
function guard(handler: Route['handler']): Route['handler'] {
  return async (req) => {
    try {
      return await handler(req)
    } catch (error) {
      if (error instanceof LoginRequired) return seeOther('/login', 'private')
      throw error
    }
  }
}
