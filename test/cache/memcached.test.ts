/**
 * The response cache on a real Memcached (a private server for this file): pages stored as
 * bytes, hits across two instances, purge by tag and by URL reaching both, and a data-cache
 * entry with the same tag purged by the same call.
 */
import { createServer, type Server } from 'node:http'
import { cache, createDataCache, memcachedStore, type MemcachedStore } from '@brisk/cache'
import { BriskMetrics } from '@brisk/core'
import { withBrisk } from '@brisk/node'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMemcached, type MemcachedProcess } from '../stores/memcached-server.js'

describe('response cache on Memcached', () => {
  let server: MemcachedProcess
  const stores: MemcachedStore[] = []
  const servers: Server[] = []
  let renders = 0

  // Every byte value, so a text round-trip anywhere would show.
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

  function instance() {
    const store = memcachedStore({
      servers: server.servers,
      timeout: '2s',
      logger: false,
      prefix: 'brisk-test:',
    })
    stores.push(store)
    const metrics = new BriskMetrics()
    const responses = cache({ store, logger: false, metrics })
    const app = createServer(
      withBrisk(responses, (req, res) => {
        renders++
        res.setHeader(
          'content-type',
          req.url === '/bin' ? 'application/octet-stream' : 'text/html; charset=utf-8',
        )
        res.setHeader('cache-control', 'public, max-age=60')
        res.setHeader('cache-tag', 'post:1')
        res.end(req.url === '/bin' ? binary : `<h1>${req.url}</h1>`)
      }),
    )
    servers.push(app)
    return { app, responses, store, metrics }
  }

  beforeAll(async () => {
    server = await startMemcached()
  })

  afterAll(async () => {
    for (const app of servers) app.close()
    for (const store of stores) await store.close?.()
    await server.stop()
  })

  it('serves a page stored by one instance as a hit on another, byte for byte', async () => {
    const a = instance()
    const b = instance()
    const first = await request(a.app).get('/bin').buffer(true)
    expect(first.headers['cache-status']).toMatch(/stored/)
    const hit = await request(b.app).get('/bin').buffer(true)
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(Buffer.compare(hit.body as Buffer, binary)).toBe(0)
    expect(hit.headers['content-type']).toBe('application/octet-stream')
    expect(hit.headers['cache-tag']).toBeUndefined()
  })

  it('purges pages and data carrying a tag, for every instance, with one call', async () => {
    const a = instance()
    const b = instance()
    const data = createDataCache({ store: a.store, logger: false })
    await request(a.app).get('/post/1').expect(200)
    await data.set('post:1:row', { title: 'old' }, { tags: ['post:1'] })
    expect((await request(b.app).get('/post/1')).headers['cache-status']).toMatch(/^brisk; hit/)

    const before = renders
    await b.responses.purgeTag('post:1')
    expect((await request(a.app).get('/post/1')).headers['cache-status']).toMatch(
      /fwd=(uri|vary)-miss; stored/,
    )
    expect(renders).toBe(before + 1)
    expect(await data.get('post:1:row')).toBeUndefined()
  })

  it('purges a URL', async () => {
    const a = instance()
    await request(a.app).get('/page').expect(200)
    expect((await request(a.app).get('/page')).headers['cache-status']).toMatch(/^brisk; hit/)
    await a.responses.purgeUrl('/page')
    expect((await request(a.app).get('/page')).headers['cache-status']).toMatch(/miss; stored/)
  })
})
