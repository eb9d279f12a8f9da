import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import etag from 'etag'
import request from 'supertest'
import {
  answerNowOf,
  BriskMetrics,
  BriskOptionError,
  NOTHING_BELOW,
  type BriskHeaders,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { describe, expect, it, vi } from 'vitest'
import { conditional, type ConditionalOptions } from './conditional.js'
import { generateEtag } from './generate-etag.js'
import type * as GenerateEtagModule from './generate-etag.js'
import { serve, type TestHandler } from './test-server.js'

vi.mock('./generate-etag.js', async (importOriginal) => {
  const original = await importOriginal<typeof GenerateEtagModule>()
  return { generateEtag: vi.fn(original.generateEtag) }
})

const PAGE = Buffer.from('<h1>Hello</h1>')
const PAGE_TAG = etag(PAGE)
const T0 = 'Sat, 01 Jan 2000 00:00:00 GMT'

function page(headers: BriskHeaders = {}, body: BriskResponse['body'] = PAGE, status = 200): TestHandler {
  return () => ({ status, headers: { 'content-type': 'text/html', ...headers }, body })
}

function app(handler: TestHandler, options: ConditionalOptions = {}) {
  return serve(conditional({ logger: false, ...options }), handler)
}

describe('conditional(): ETag generation', () => {
  it('adds a strong ETag in the etag package format to a buffered 200 GET', async () => {
    vi.mocked(generateEtag).mockClear()
    const res = await request(app(page())).get('/')
    expect(generateEtag).toHaveBeenCalledOnce()
    expect(res.status).toBe(200)
    expect(res.headers.etag).toBe(PAGE_TAG)
    expect(res.text).toBe('<h1>Hello</h1>')
  })

  it('keeps the ETag and Last-Modified the app set', async () => {
    const res = await request(app(page({ etag: '"app"', 'last-modified': T0 }))).get('/')
    expect(res.headers.etag).toBe('"app"')
    expect(res.headers['last-modified']).toBe(T0)
  })

  it('does not hash a streamed body', async () => {
    const res = await request(app(page({}, Readable.from([PAGE])))).get('/')
    expect(res.status).toBe(200)
    expect(res.headers.etag).toBeUndefined()
    expect(res.text).toBe('<h1>Hello</h1>')
  })

  it('adds no ETag when the etag option is false', async () => {
    const res = await request(app(page(), { etag: false })).get('/')
    expect(res.headers.etag).toBeUndefined()
  })

  it.each([
    ['a POST', 'post', page()],
    ['a 404', 'get', page({}, PAGE, 404)],
    ['a 206 part', 'get', page({ 'content-range': 'bytes 0-3/14' }, PAGE.subarray(0, 4), 206)],
    ['a no-store response', 'get', page({ 'cache-control': 'no-store' })],
  ] as const)('adds no ETag to %s', async (_case, method, handler) => {
    const res = await request(app(handler))[method]('/')
    expect(res.headers.etag).toBeUndefined()
  })

  it('adds no ETag to a HEAD body the framework left empty', async () => {
    const res = await request(app(page({ 'content-length': String(PAGE.length) }, Buffer.alloc(0)))).head('/')
    expect(res.status).toBe(200)
    expect(res.headers.etag).toBeUndefined()
  })

  it('adds the same ETag to HEAD as to GET when the body is there', async () => {
    const res = await request(app(page())).head('/')
    expect(res.headers.etag).toBe(PAGE_TAG)
  })
})

describe('conditional(): 304 Not Modified', () => {
  it('answers 304 without a body to If-None-Match with the generated tag', async () => {
    const res = await request(app(page())).get('/').set('If-None-Match', PAGE_TAG)
    expect(res.status).toBe(304)
    expect(res.text).toBe('')
    expect(res.headers.etag).toBe(PAGE_TAG)
  })

  it('answers 304 to HEAD too', async () => {
    const res = await request(app(page())).head('/').set('If-None-Match', PAGE_TAG)
    expect(res.status).toBe(304)
  })

  it('answers 200 when the tag does not match', async () => {
    const res = await request(app(page())).get('/').set('If-None-Match', '"other"')
    expect(res.status).toBe(200)
    expect(res.text).toBe('<h1>Hello</h1>')
  })

  it('answers 304 to If-Modified-Since against the app Last-Modified', async () => {
    const res = await request(app(page({ 'last-modified': T0 })))
      .get('/')
      .set('If-Modified-Since', 'Sat, 01 Jan 2000 00:00:01 GMT')
    expect(res.status).toBe(304)
  })

  it('carries exactly the §15.4.5 fields and no content fields', async () => {
    const handler = page({
      etag: '"v1"',
      'last-modified': T0,
      'cache-control': 'max-age=60',
      'content-location': '/posts/1',
      expires: 'Sat, 01 Jan 2000 00:01:00 GMT',
      vary: 'Accept-Encoding',
      'content-encoding': 'gzip',
      'content-language': 'en',
      'content-length': String(PAGE.length),
    })
    const res = await request(app(handler)).get('/').set('If-None-Match', '"v1"')
    expect(res.status).toBe(304)
    expect(res.headers).toMatchObject({
      etag: '"v1"',
      'cache-control': 'max-age=60',
      'content-location': '/posts/1',
      expires: 'Sat, 01 Jan 2000 00:01:00 GMT',
      vary: 'Accept-Encoding',
    })
    expect(res.headers.date).toBeDefined()
    for (const field of [
      'content-type',
      'content-length',
      'content-encoding',
      'content-language',
      'last-modified',
    ]) {
      expect(res.headers[field], field).toBeUndefined()
    }
  })

  it('keeps Last-Modified on a 304 when there is no ETag', async () => {
    const res = await request(app(page({ 'last-modified': T0 }), { etag: false }))
      .get('/')
      .set('If-Modified-Since', T0)
    expect(res.status).toBe(304)
    expect(res.headers['last-modified']).toBe(T0)
  })

  it('answers 304 for a streamed body with an app ETag and releases the stream', async () => {
    const stream = Readable.from([PAGE])
    const res = await request(app(page({ etag: '"s"' }, stream)))
      .get('/')
      .set('If-None-Match', '"s"')
    expect(res.status).toBe(304)
    expect(stream.destroyed).toBe(true)
  })

  it('answers 304 from a response ETag without hashing the body, as for a cache hit', async () => {
    vi.mocked(generateEtag).mockClear()
    const res = await request(app(page({ etag: '"stored"' }, Buffer.from('stored body'))))
      .get('/')
      .set('If-None-Match', '"stored"')
    expect(res.status).toBe(304)
    expect(generateEtag).not.toHaveBeenCalled()
  })

  it('leaves a 404 alone whatever the preconditions', async () => {
    const res = await request(app(page({ etag: '"v1"' }, PAGE, 404)))
      .get('/')
      .set('If-None-Match', '"v1"')
    expect(res.status).toBe(404)
  })

  it('counts 304 answers', async () => {
    const metrics = new BriskMetrics()
    await request(app(page(), { metrics })).get('/').set('If-None-Match', PAGE_TAG)
    expect(metrics.get('conditional.notModified')).toBe(1)
    expect(metrics.get('conditional.preconditionFailed')).toBe(0)
  })
})

describe('conditional(): weak comparison through compression', () => {
  it('matches If-None-Match W/"x" against a response ETag "x"', async () => {
    const res = await request(app(page({ etag: '"x"' })))
      .get('/')
      .set('If-None-Match', 'W/"x"')
    expect(res.status).toBe(304)
  })

  it('matches If-None-Match "x" against a response ETag W/"x" that a compressor weakened', async () => {
    const res = await request(app(page({ etag: 'W/"x"', 'content-encoding': 'gzip' })))
      .get('/')
      .set('If-None-Match', '"x"')
    expect(res.status).toBe(304)
  })

  it('does not let If-Match "x" match a weak response ETag W/"x"', async () => {
    const res = await request(app(page({ etag: 'W/"x"' })))
      .get('/')
      .set('If-Match', '"x"')
    expect(res.status).toBe(412)
  })

  it('does not let If-Match W/"x" match a strong response ETag "x"', async () => {
    const res = await request(app(page({ etag: '"x"' })))
      .get('/')
      .set('If-Match', 'W/"x"')
    expect(res.status).toBe(412)
  })
})

describe('conditional(): 412 Precondition Failed', () => {
  it('answers 412 to a GET whose If-Match fails', async () => {
    const metrics = new BriskMetrics()
    const res = await request(app(page({ etag: '"v2"' }), { metrics }))
      .get('/')
      .set('If-Match', '"v1"')
    expect(res.status).toBe(412)
    expect(res.text).toBe('')
    expect(metrics.get('conditional.preconditionFailed')).toBe(1)
  })

  it('lets a PUT through when no validators are configured, since its response is the new state', async () => {
    const res = await request(app(page({ etag: '"v2"' })))
      .put('/')
      .set('If-Match', '"v1"')
    expect(res.status).toBe(200)
  })
})

describe('conditional(): validators before the handler', () => {
  const row = { etag: '"v7"', lastModified: new Date(Date.parse(T0)) }

  it('answers 304 without calling the handler', async () => {
    const handler = vi.fn(page())
    const res = await request(app(handler, { validators: () => row }))
      .get('/')
      .set('If-None-Match', '"v7"')
    expect(res.status).toBe(304)
    expect(res.headers.etag).toBe('"v7"')
    expect(handler).not.toHaveBeenCalled()
  })

  it('adds its tag weak to a response in a content coding (compressed below it), strong otherwise', async () => {
    const gzipped = await request(
      app(page({ 'content-encoding': 'gzip' }, gzipSync(PAGE)), { validators: () => row }),
    ).get('/')
    expect(gzipped.headers.etag).toBe('W/"v7"')
    const plain = await request(app(page({ 'content-encoding': 'identity' }), { validators: () => row })).get(
      '/',
    )
    expect(plain.headers.etag).toBe('"v7"')
  })

  it('repeats the headers validators supply on that 304', async () => {
    const validators = () => ({ ...row, headers: { 'cache-control': 'no-cache', vary: 'Cookie' } })
    const res = await request(app(page(), { validators })).get('/').set('If-None-Match', '"v7"')
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.headers.vary).toBe('Cookie')
  })

  it('answers 304 to If-Modified-Since from an asynchronous lastModified', async () => {
    const handler = vi.fn(page())
    const res = await request(app(handler, { validators: async () => ({ lastModified: row.lastModified }) }))
      .get('/')
      .set('If-Modified-Since', T0)
    expect(res.status).toBe(304)
    expect(res.headers['last-modified']).toBe(T0)
    expect(handler).not.toHaveBeenCalled()
  })

  it('answers 412 to a PUT whose If-Match names an older version, before the handler writes', async () => {
    const handler = vi.fn(page())
    const res = await request(app(handler, { validators: () => row }))
      .put('/')
      .set('If-Match', '"v6"')
      .send('update')
    expect(res.status).toBe(412)
    expect(handler).not.toHaveBeenCalled()
  })

  it('lets a PUT whose If-Match names the current version through to the handler', async () => {
    const handler = vi.fn(page({ etag: '"v8"' }))
    const res = await request(app(handler, { validators: () => row }))
      .put('/')
      .set('If-Match', '"v7"')
    expect(res.status).toBe(200)
    expect(res.headers.etag).toBe('"v8"')
    expect(handler).toHaveBeenCalledOnce()
  })

  it('answers 412 to a PUT with If-Unmodified-Since older than the row', async () => {
    const res = await request(app(page(), { validators: () => row }))
      .put('/')
      .set('If-Unmodified-Since', 'Fri, 31 Dec 1999 00:00:00 GMT')
    expect(res.status).toBe(412)
  })

  it('answers 412 to a create-only PUT (If-None-Match: *) when the resource exists', async () => {
    const res = await request(app(page(), { validators: () => row }))
      .put('/')
      .set('If-None-Match', '*')
    expect(res.status).toBe(412)
  })

  it('lets a create-only PUT through when validators say there is no representation', async () => {
    const res = await request(app(page({}, PAGE, 201), { validators: () => null }))
      .put('/')
      .set('If-None-Match', '*')
    expect(res.status).toBe(201)
  })

  it('answers 412 to a DELETE with If-Match when there is no representation', async () => {
    const res = await request(app(page(), { validators: () => null }))
      .delete('/')
      .set('If-Match', '*')
    expect(res.status).toBe(412)
  })

  it('adds the validators to a 200 GET that has none', async () => {
    const res = await request(app(page(), { validators: () => row })).get('/')
    expect(res.status).toBe(200)
    expect(res.headers.etag).toBe('"v7"')
    expect(res.headers['last-modified']).toBe(T0)
  })

  it('falls back to the response when validators answer undefined', async () => {
    const res = await request(app(page(), { validators: () => undefined }))
      .get('/')
      .set('If-None-Match', PAGE_TAG)
    expect(res.status).toBe(304)
  })

  it('does not call validators for an unconditional POST', async () => {
    const validators = vi.fn(() => row)
    await request(app(page(), { validators })).post('/')
    expect(validators).not.toHaveBeenCalled()
  })

  it('leaves out a malformed ETag from validators and warns once', async () => {
    const warn = vi.fn()
    const logger = { warn, error: vi.fn(), info: vi.fn(), debug: vi.fn() }
    const server = serve(conditional({ logger, validators: () => ({ etag: 'v7' }), etag: false }), page())
    const first = await request(server).get('/').set('If-None-Match', 'v7')
    await request(server).get('/')
    expect(first.status).toBe(200)
    expect(first.headers.etag).toBeUndefined()
    expect(warn).toHaveBeenCalledOnce()
  })
  it('ignores a validators answer that is not an object and runs the handler', async () => {
    const handler = vi.fn(page())
    const validators = (() => 'v7') as unknown as ConditionalOptions['validators']
    const res = await request(app(handler, { validators })).get('/').set('If-None-Match', '"v7"')
    expect(res.status).toBe(200)
    expect(handler).toHaveBeenCalledOnce()
  })
})

describe('conditional(): hostile input', () => {
  it.each([
    ['If-None-Match', 'W/'],
    ['If-None-Match', '"unterminated'],
    ['If-None-Match', ','.repeat(8000)],
    ['If-Match', '"a" "b"'],
    ['If-Modified-Since', 'Sun, 99 Foo 99999 99:99:99 GMT'],
    ['If-Unmodified-Since', '\u00ff\u00fe'],
  ])('answers %s: %j with a status, never a 500', async (name, value) => {
    const res = await request(app(page())).get('/').set(name, value)
    expect([200, 304, 412]).toContain(res.status)
  })

  it('ignores an invalid If-Modified-Since and answers 200', async () => {
    const res = await request(app(page({ 'last-modified': T0 })))
      .get('/')
      .set('If-Modified-Since', 'yesterday')
    expect(res.status).toBe(200)
  })
})

describe('conditional(): options', () => {
  it.each([
    [{ etag: 'yes' }, /option etag: "yes"\. Expected true or false/],
    [{ validators: 'row' }, /option validators: "row"\. Expected a function/],
    [{ metrics: {} }, /option metrics: a object\. Expected a BriskMetrics instance/],
  ])('refuses %j at creation', (options, message) => {
    expect(() => conditional(options as unknown as ConditionalOptions)).toThrow(BriskOptionError)
    expect(() => conditional(options as unknown as ConditionalOptions)).toThrow(message)
  })
})

describe('conditional(): synchronous answers from below (a cache hit in front mode)', () => {
  const stored = (): BriskResponse => ({ status: 200, headers: { 'content-type': 'text/html' }, body: PAGE })
  const requestWith = (headers: Record<string, string>, method = 'GET'): BriskRequest => ({
    method,
    url: '/',
    headers,
    clientAddress: '127.0.0.1',
    hints: {},
  })
  const cases: Array<[string, BriskRequest]> = [
    ['a plain GET gets the ETag', requestWith({})],
    ['a matching If-None-Match gets a 304', requestWith({ 'if-none-match': PAGE_TAG })],
    ['a failing If-Match gets a 412', requestWith({ 'if-match': '"other"' })],
    ['OPTIONS is left untouched', requestWith({ 'if-none-match': PAGE_TAG }, 'OPTIONS')],
  ]
  it.each(cases)('evaluates them as the middleware does: %s', async (_name, req) => {
    const metrics = new BriskMetrics()
    const middleware = conditional({ logger: false, metrics })
    const attempt = answerNowOf(middleware)
    const now = attempt?.(req, stored)
    const later = await middleware(req, async () => stored())
    expect(now).toEqual(later)
    expect(metrics.get('conditional.notModified') + metrics.get('conditional.preconditionFailed')).toBe(
      later.status === 200 ? 0 : 2,
    )
  })

  it('answers nothing when nothing below answered, and has no attempt with validators', () => {
    expect(answerNowOf(conditional({ logger: false }))?.(requestWith({}), NOTHING_BELOW)).toBeUndefined()
    expect(answerNowOf(conditional({ logger: false, validators: () => undefined }))).toBeUndefined()
  })
})
