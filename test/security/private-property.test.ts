/**
 * A property over random request sequences: several users hit a few URLs whose handler
 * personalises the page in one of the ways a shared cache must recognise (Set-Cookie,
 * Cache-Control private / no-store, a request with Authorization or a session cookie), or
 * serves one public page. Whatever the order, a personalised body only ever reaches the user
 * it was made for.
 */
import { createServer, type Server } from 'node:http'
import { memoryStore } from '@brisk/cache'
import { withBrisk } from '@brisk/node'
import { createStack } from '@brisk/stack'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, listen, send } from '../hostile/raw-http.js'

type Marker = 'set-cookie' | 'private' | 'no-store' | 'authorization' | 'session' | 'public'
const MARKERS: Marker[] = ['set-cookie', 'private', 'no-store', 'authorization', 'session', 'public']
const USERS = ['alice', 'bob', 'carol']
const PAD = 'x'.repeat(1500)

let server: Server
let port: number

beforeAll(async () => {
  const stack = createStack({
    cache: { ttl: '60s', store: memoryStore(), sessionCookies: ['sid'], logger: false },
    logger: false,
  })
  server = createServer(
    withBrisk(
      stack,
      (req, res) => {
        const marker = (req.url ?? '').split('/')[1] as Marker
        const user = String(req.headers['x-user'])
        res.setHeader('content-type', 'text/html')
        // Every personalised variant still claims shared freshness, the worst case for a cache.
        res.setHeader('cache-control', 'public, max-age=60')
        if (marker === 'public') {
          res.end(`page for everyone ${PAD}`)
          return
        }
        if (marker === 'set-cookie') res.setHeader('set-cookie', `seen=${user}`)
        if (marker === 'private') res.setHeader('cache-control', 'private, max-age=60')
        if (marker === 'no-store') res.setHeader('cache-control', 'no-store')
        res.end(`page for ${user} ${PAD}`)
      },
      { logger: false },
    ),
  )
  port = await listen(server)
})

afterAll(async () => {
  await close(server)
})

describe('personalised responses under any request order', () => {
  it('never serve one user the page made for another', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.constantFrom(...USERS), fc.constantFrom(...MARKERS), fc.integer({ min: 0, max: 1 })),
          {
            minLength: 2,
            maxLength: 25,
          },
        ),
        async (sequence) => {
          run++
          for (const [user, marker, page] of sequence) {
            const headers: Record<string, string> = { 'x-user': user }
            // Only these two markers depend on the request; the handler personalises the rest.
            if (marker === 'authorization') headers.authorization = `Bearer ${user}`
            if (marker === 'session') headers.cookie = `sid=${user}`
            const response = await send(port, `/${marker}/${run}-${page}`, headers)
            expect(response.status).toBe(200)
            const body = response.body.toString()
            if (marker === 'public') expect(body).toMatch(/^page for everyone/)
            else expect(body, `${marker} ${user}`).toMatch(new RegExp(`^page for ${user} `))
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('does not let a response to a credentialed request reach a request without credentials', async () => {
    for (const marker of ['authorization', 'session'] as const) {
      const path = `/${marker}/credentialed-then-anonymous`
      const headers: Record<string, string> =
        marker === 'authorization' ? { authorization: 'Bearer alice' } : { cookie: 'sid=alice' }
      await send(port, path, { 'x-user': 'alice', ...headers })
      const anonymous = await send(port, path, { 'x-user': 'bob' })
      expect(anonymous.body.toString()).toMatch(/^page for bob /)
    }
  })
})
