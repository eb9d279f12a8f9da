import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BriskOptionError, type BriskRequest, type BriskResponse } from '@brisk/core'
import { precompressed, type PrecompressedOptions } from './precompressed.js'

let base: string
let root: string
const script = Buffer.from('export const answer = 42;\n'.repeat(200))
const style = Buffer.from('body { color: #333 }\n'.repeat(200))

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'brisk-precompressed-'))
  root = path.join(base, 'public')
  mkdirSync(path.join(root, 'css'), { recursive: true })
  writeFileSync(path.join(root, 'app.js'), script)
  writeFileSync(path.join(root, 'app.js.br'), zlib.brotliCompressSync(script))
  writeFileSync(path.join(root, 'app.js.gz'), zlib.gzipSync(script, { level: 9 }))
  writeFileSync(path.join(root, 'css', 'site.css'), style)
  writeFileSync(path.join(root, 'css', 'site.css.gz'), zlib.gzipSync(style))
  writeFileSync(path.join(root, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  mkdirSync(path.join(root, 'build'))
  writeFileSync(
    path.join(root, 'build', 'app.js.brotli'),
    zlib.brotliCompressSync(script, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
  )
  writeFileSync(path.join(root, 'orphan.js.gz'), zlib.gzipSync(script))
  writeFileSync(path.join(base, 'secret.txt'), 'top secret')
  writeFileSync(path.join(base, 'secret.txt.gz'), zlib.gzipSync('top secret'))
})

afterAll(() => rmSync(base, { recursive: true, force: true }))

const APP: BriskResponse = {
  status: 404,
  headers: { 'content-type': 'text/plain' },
  body: Buffer.from('from the app'),
}

function request(url: string, acceptEncoding?: string, method = 'GET'): BriskRequest {
  return {
    method,
    url,
    headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding },
    clientAddress: '127.0.0.1',
    hints: {},
  }
}

async function run(req: BriskRequest, options: Partial<PrecompressedOptions> = {}): Promise<BriskResponse> {
  return precompressed({ root, ...options })(req, async () => ({ ...APP, headers: { ...APP.headers } }))
}

async function bytes(body: BriskResponse['body']): Promise<Buffer> {
  if (body === null || Buffer.isBuffer(body)) return body ?? Buffer.alloc(0)
  const chunks: Buffer[] = []
  for await (const chunk of body as Readable) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe('precompressed', () => {
  it('serves the brotli sibling to a browser, with the original type, length, Vary and a weak ETag', async () => {
    const res = await run(request('/app.js', 'gzip, deflate, br'))
    expect(res.status).toBe(200)
    expect(res.headers['content-encoding']).toBe('br')
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.headers.vary).toBe('Accept-Encoding')
    expect(res.headers.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+-br"$/)
    expect(res.headers['last-modified']).toMatch(/GMT$/)
    const body = await bytes(res.body)
    expect(res.headers['content-length']).toBe(String(body.length))
    expect(zlib.brotliDecompressSync(body).equals(script)).toBe(true)
  })

  it('serves the gzip sibling to a gzip-only client, with an ETag of its own', async () => {
    const br = await run(request('/app.js', 'br'))
    const res = await run(request('/app.js?v=2', 'gzip'))
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.headers.etag).not.toBe(br.headers.etag)
    expect(zlib.gunzipSync(await bytes(res.body)).equals(script)).toBe(true)
  })

  it('follows the client q-values over the server preference', async () => {
    const res = await run(request('/app.js', 'br;q=0.5, gzip'))
    expect(res.headers['content-encoding']).toBe('gzip')
  })

  it('passes to the app with Vary when the client wants identity', async () => {
    const res = await run(request('/app.js', 'identity'))
    expect(res.body).toEqual(APP.body)
    expect(res.headers.vary).toBe('Accept-Encoding')
  })

  it('passes to the app with Vary when the only sibling is a coding the client lacks', async () => {
    const res = await run(request('/css/site.css', 'br'))
    expect(res.body).toEqual(APP.body)
    expect(res.headers.vary).toBe('Accept-Encoding')
  })

  it('passes to the app without Vary for a file with no siblings', async () => {
    const res = await run(request('/logo.png', 'gzip, br'))
    expect(res.body).toEqual(APP.body)
    expect(res.headers.vary).toBeUndefined()
  })

  it('never serves a sibling whose original is missing', async () => {
    const res = await run(request('/orphan.js', 'gzip'))
    expect(res.body).toEqual(APP.body)
  })

  it('answers HEAD with the headers and no body', async () => {
    const res = await run(request('/app.js', 'gzip', 'HEAD'))
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0)
    expect(res.body).toBeNull()
  })

  it('passes other methods to the app', async () => {
    const res = await run(request('/app.js', 'gzip', 'POST'))
    expect(res.body).toEqual(APP.body)
  })

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/css/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
  ])('does not let %j escape the root', async (url) => {
    const res = await run(request(url, 'gzip'))
    expect(res.body).toEqual(APP.body)
  })

  it('serves under a prefix and nothing outside it', async () => {
    const served = await run(request('/static/app.js', 'gzip'), { prefix: '/static/' })
    expect(served.headers['content-encoding']).toBe('gzip')
    const outside = await run(request('/app.js', 'gzip'), { prefix: '/static/' })
    expect(outside.body).toEqual(APP.body)
  })

  it('looks only for the siblings named in encodings', async () => {
    const res = await run(request('/app.js', 'br, gzip'), { encodings: ['gzip'] })
    expect(res.headers['content-encoding']).toBe('gzip')
  })

  it('serves a registered file in place of the sibling of its coding', async () => {
    const files = { 'app.js': { br: 'build/app.js.brotli' } }
    const res = await run(request('/app.js', 'br'), { files })
    expect(res.headers['content-encoding']).toBe('br')
    const body = await bytes(res.body)
    expect(
      body.equals(zlib.brotliCompressSync(script, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })),
    ).toBe(true)
    const gzip = await run(request('/app.js', 'gzip'), { files })
    expect(zlib.gunzipSync(await bytes(gzip.body)).equals(script)).toBe(true)
  })

  it.each<[string, unknown, string]>([
    ['a missing root', { root: '' }, 'precompressed root'],
    ['a prefix without slashes', { root: '.', prefix: 'static' }, 'precompressed prefix'],
    ['deflate siblings', { root: '.', encodings: ['deflate'] }, 'precompressed encodings'],
    ['an empty encodings list', { root: '.', encodings: [] }, 'precompressed encodings'],
    [
      'a registered file outside root',
      { root: '.', files: { 'a.js': { br: '../a.js.br' } } },
      'precompressed files["a.js"].br',
    ],
    [
      'a registered key outside root',
      { root: '.', files: { '../a.js': { br: 'a.js.br' } } },
      'precompressed files key',
    ],
    [
      'a registered deflate file',
      { root: '.', files: { 'a.js': { deflate: 'a.js.z' } } },
      'precompressed files["a.js"]',
    ],
  ])('rejects %s at creation', (_name, options, option) => {
    expect(() => precompressed(options as PrecompressedOptions)).toThrow(BriskOptionError)
    expect(() => precompressed(options as PrecompressedOptions)).toThrow(option)
  })
})
