import { verifyPassword } from './password.js'
import { readForm } from './request-body.js'
import { html, seeOther } from './responses.js'
import type { Route, RouteDeps, RouteRequest } from './route.js'
import { DEMO_USERS } from './seed.js'
import type { User } from './queries.js'

const MAX_USERNAME = 64
const MAX_PASSWORD = 256

/** The signed-in user, or undefined (no cookie, a forged or expired one, or a deleted user). */
export function currentUser(deps: RouteDeps, req: RouteRequest): User | undefined {
  return req.session === undefined ? undefined : deps.queries.user(req.session.userId)
}

/** Login, logout and the account page: one user's pages, never stored by any cache. */
export function accountRoutes(deps: RouteDeps): Route[] {
  const { queries, renderer, sessions } = deps
  const loginPage = (username: string, error?: string, status = 200) =>
    html(
      renderer.page('login', 'Log in', { username, error, demoUsers: DEMO_USERS }),
      'private',
      undefined,
      status,
    )
  return [
    {
      method: 'GET',
      path: '/login',
      handler: () => loginPage(''),
    },
    {
      method: 'POST',
      path: '/login',
      async handler(req) {
        const form = await readForm(req.raw)
        const username = (form.get('username') ?? '').trim().slice(0, MAX_USERNAME)
        const password = (form.get('password') ?? '').slice(0, MAX_PASSWORD)
        const credentials = queries.credentials(username)
        if (credentials === undefined || !(await verifyPassword(password, credentials.passwordHash))) {
          return loginPage(username, 'Unknown user name or wrong password.', 401)
        }
        return seeOther('/account', 'private', sessions.issue(credentials.id))
      },
    },
    {
      method: 'POST',
      path: '/logout',
      handler: () => seeOther('/', 'private', sessions.clear()),
    },
    {
      method: 'GET',
      path: '/account',
      handler(req) {
        const user = currentUser(deps, req)
        if (user === undefined) return seeOther('/login', 'private')
        return html(renderer.page('account', 'Your account', { user }), 'private')
      },
    },
  ]
}
