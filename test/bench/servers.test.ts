import { randomBytes } from 'node:crypto'
import type { RequestListener } from 'node:http'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import type { Built } from '../../bench/src/brisk-layers.js'
import { buildServer } from '../../bench/src/build-server.js'
import { deletePrefix, redisUrl } from '../../bench/src/redis-keys.js'
import { allScenarios, type HttpScenario, type HttpVariant } from '../../bench/src/scenarios.js'
import { usesRedis, type ServerSpec } from '../../bench/src/server-spec.js'

// Every server the harness starts, built in-process and asked what the load will ask, so a
// variant that does not do what its label says (a "hit" that misses, a compressor that does
// not compress, a 304 that is a 200) fails here rather than in a number.

const prefix = `brisk-bench:test-${randomBytes(4).toString('hex')}:`
const cases = allScenarios()
  .filter((scenario): scenario is HttpScenario => scenario.kind === 'http')
  .flatMap((scenario) =>
    scenario.variants
      .filter((variant): variant is HttpVariant & { server: ServerSpec } => variant.server !== undefined)
      .map((variant) => [`${scenario.name}/${variant.id}`, scenario, variant] as const),
  )

afterAll(async () => {
  await deletePrefix(redisUrl(), prefix)
})

async function withServer(
  spec: ServerSpec,
  use: (listener: RequestListener) => Promise<void>,
): Promise<void> {
  const built: Built<RequestListener> = await buildServer(spec)
  try {
    await use(built.value)
  } finally {
    await built.close()
  }
}

const CACHED = /brisk-cache|brisk-stack|brisk-conditional-cache/

describe('benchmark servers', () => {
  it.each(cases)('%s answers the load as its label says', async (name, scenario, variant) => {
    const shape = { ...scenario.load, ...variant.load }
    const spec: ServerSpec = usesRedis(variant.server)
      ? { ...variant.server, redis: { url: redisUrl(), prefix: `${prefix}${name}:` } }
      : variant.server
    await withServer(spec, async (listener) => {
      const path = shape.distinctKeys === undefined ? shape.path : `${shape.path}?k=1`
      const first = await request(listener).get(path).set(shape.headers)
      expect(first.status).toBe(200)
      const headers: Record<string, string> = { ...shape.headers }
      if (shape.revalidate === true) {
        expect(first.headers.etag).toBeDefined()
        headers['if-none-match'] = first.headers.etag!
      }
      const second = await request(listener).get(path).set(headers)
      expect(second.status).toBe(shape.expectStatus)
      if (second.status !== 200) return

      const layer = variant.server.layer ?? 'none'
      // The scale scenario's RSS baseline has a store too small to keep a page: it always misses.
      const keepsNothing = variant.label.includes('keeps no page')
      if (CACHED.test(layer)) expect(second.headers['cache-status']).toMatch(keepsNothing ? /miss/ : /hit/)
      const asked = shape.headers['accept-encoding']
      if (asked === 'gzip' || asked === 'br') {
        const compresses = /compress|compression|stack/.test(layer)
        expect(second.headers['content-encoding']).toBe(compresses ? asked : undefined)
      }
      if (variant.server.app === 'small')
        expect(Number(second.headers['content-length'])).toBeGreaterThan(1000)
      // brisk's limiters send the RateLimit fields unless told not to; the static-fields
      // variant sends the same fields without a limiter.
      if (/^brisk-ratelimit|^ratelimit-fields/.test(layer)) {
        const sendsFields = !layer.endsWith('-noheaders')
        expect(second.headers['ratelimit-policy'] !== undefined).toBe(sendsFields)
        expect(second.headers['ratelimit'] !== undefined).toBe(sendsFields)
        if (sendsFields) expect(second.headers['ratelimit']).toMatch(/^"default";r=\d+;t=\d+$/)
      }
      if (
        variant.server.app === 'page' ||
        variant.server.app === 'prebuilt' ||
        variant.server.app === 'ceiling' ||
        variant.server.app === 'ceiling-hit'
      ) {
        expect(second.headers['content-type']).toMatch(/^text\/html/)
        if (second.headers['content-encoding'] === undefined)
          expect(second.text.length).toBeGreaterThan(40_000)
      }
    })
  })

  /** The second response of a new server for `spec`: a hit where the server caches. */
  const secondResponse = async (spec: ServerSpec): Promise<request.Response> => {
    let second: request.Response | undefined
    await withServer(spec, async (listener) => {
      await request(listener).get('/')
      second = await request(listener).get('/')
    })
    return second!
  }
  /** The header fields a response names, except the date and the connection's. */
  const fieldsOf = (res: request.Response): string[] =>
    Object.keys(res.headers).filter((name) => !['date', 'connection', 'keep-alive'].includes(name))

  // The front-mode targets compare a hit with raw node:http "writing the same bytes": the raw
  // listener must send the fields a front hit sends, with values of the same length.
  it.each(['koa3', 'express5', 'express4'] as const)(
    'node-raw-hit writes the header fields and body of a %s front-mode hit',
    async (framework) => {
      const front = await secondResponse({
        framework,
        app: 'page',
        layer: 'brisk-cache-memory',
        mount: 'front',
      })
      const raw = await secondResponse({ framework: 'node', app: 'raw-hit' })
      expect(front.headers['cache-status']).toMatch(/^brisk; hit; ttl=\d+$/)
      expect(fieldsOf(raw).sort()).toEqual(fieldsOf(front).sort())
      for (const name of fieldsOf(front)) {
        if (name === 'age' || name === 'cache-status') continue
        expect(raw.headers[name]!.length).toBe(front.headers[name]!.length)
      }
      expect(raw.headers['content-type']).toBe(front.headers['content-type'])
      expect(raw.text.length).toBeGreaterThan(40_000)
      expect(raw.text).toBe(front.text)
    },
  )

  // The "ceiling writing the same bytes" targets: the first middleware must send what a
  // middleware-mode hit sends on the same framework.
  it.each(['express5', 'express4'] as const)(
    'ceiling-hit writes the header fields and body of a %s middleware-mode hit',
    async (framework) => {
      const hit = await secondResponse({ framework, app: 'page', layer: 'brisk-cache-memory' })
      const ceiling = await secondResponse({ framework, app: 'ceiling-hit' })
      expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=\d+$/)
      expect(fieldsOf(ceiling).sort()).toEqual(fieldsOf(hit).sort())
      for (const name of fieldsOf(hit)) {
        if (name === 'age' || name === 'cache-status') continue
        expect(ceiling.headers[name]).toBe(hit.headers[name])
      }
      expect(ceiling.text).toBe(hit.text)
    },
  )

  it('leaves no key of its own in Redis once cleaned', async () => {
    await deletePrefix(redisUrl(), prefix)
    const { Redis } = await import('ioredis')
    const client = new Redis(redisUrl())
    try {
      const [, keys] = await client.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000)
      expect(keys).toEqual([])
    } finally {
      client.disconnect()
    }
  })
})
