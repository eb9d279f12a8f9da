/**
 * A streamed page that fails before compress has read its threshold prefix, through the cache
 * and compress as the default stack runs them, on every framework: the client must see the
 * answer fail (a cut response), as it does without compression, and nothing may be stored. A
 * complete empty 200 here would be stored and served to every later client.
 */
import { get } from 'node:http'
import { cache, memoryStore } from '@brisk/cache'
import { compress } from '@brisk/compress'
import { compose } from '@brisk/core'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, frameworks, listen, track } from './audit-apps.js'

afterEach(closeAll)

interface Outcome {
  status: number
  complete: boolean
  cacheStatus: string
}

/** One GET; `complete` is false when the response was cut before its end. */
function fetchOnce(base: string, encoding: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = get(`${base}/page`, { headers: { 'accept-encoding': encoding }, agent: false }, (res) => {
      const outcome = { status: res.statusCode ?? 0, cacheStatus: String(res.headers['cache-status'] ?? '') }
      res.resume()
      res.on('end', () => resolve({ ...outcome, complete: res.complete }))
      res.on('error', () => resolve({ ...outcome, complete: false }))
      res.on('aborted', () => resolve({ ...outcome, complete: false }))
    })
    // Cut before the head arrived.
    request.on('error', () => resolve({ status: 0, complete: false, cacheStatus: '' }))
  })
}

describe.each(frameworks)('a page failing early through %s', (name, build) => {
  // Koa 2 itself never ends a response whose body stream fails: plain Koa 2 hangs the same way.
  const encodings = name === 'Koa 2' ? ['gzip'] : ['gzip', 'identity']
  it.each(encodings)('fails for a %s client and is never stored', async (encoding) => {
    let renders = 0
    const server = track(
      build(compose(cache({ store: memoryStore(), ttl: '5m', logger: false }), compress()), () => {
        renders++
        return { headers: { 'content-type': 'text/html; charset=utf-8' }, body: 'fails-early' }
      }),
    )
    const base = await listen(server)
    const first = await fetchOnce(base, encoding)
    const second = await fetchOnce(base, encoding)
    expect(renders).toBe(2)
    for (const answer of [first, second]) {
      expect(answer.cacheStatus).not.toMatch(/hit/)
      // A 5xx, or a 200 cut before its end: never a complete 200.
      expect(answer.status !== 200 || !answer.complete).toBe(true)
    }
  })
})
