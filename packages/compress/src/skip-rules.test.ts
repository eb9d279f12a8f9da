import { describe, expect, it } from 'vitest'
import { Readable } from 'node:stream'
import type { BriskHeaders, BriskResponse } from '@brisk/core'
import { mediaType, skipReason, type SkipReason } from './skip-rules.js'

function response(
  status: number,
  headers: BriskHeaders = {},
  body: BriskResponse['body'] = Buffer.from('x'),
): BriskResponse {
  return { status, headers: { 'content-type': 'text/html', ...headers }, body }
}

const TABLE: ReadonlyArray<readonly [string, string, BriskResponse, SkipReason | undefined]> = [
  ['a 200 GET with a body', 'GET', response(200), undefined],
  ['a 404 page', 'GET', response(404), undefined],
  ['a 500 page', 'GET', response(500), undefined],
  ['a POST answer', 'POST', response(201), undefined],
  ['a stream body', 'GET', response(200, {}, Readable.from([])), undefined],
  ['HEAD', 'HEAD', response(200), 'head'],
  ['204', 'GET', response(204, {}, null), 'no-body-status'],
  ['204 even with a stray body', 'GET', response(204), 'no-body-status'],
  ['1xx', 'GET', response(103), 'no-body-status'],
  ['304', 'GET', response(304, {}, null), 'not-modified'],
  ['206', 'GET', response(206, { 'content-range': 'bytes 0-0/10' }), 'partial'],
  ['a 200 with Content-Range', 'GET', response(200, { 'content-range': 'bytes 0-0/10' }), 'partial'],
  ['a null body', 'GET', response(200, {}, null), 'no-body'],
  ['Content-Encoding gzip', 'GET', response(200, { 'content-encoding': 'gzip' }), 'already-encoded'],
  ['Content-Encoding br as a list', 'GET', response(200, { 'content-encoding': ['br'] }), 'already-encoded'],
  ['Content-Encoding identity', 'GET', response(200, { 'content-encoding': 'identity' }), undefined],
  ['no-transform', 'GET', response(200, { 'cache-control': 'no-transform' }), 'no-transform'],
  [
    'No-Transform among others',
    'GET',
    response(200, { 'cache-control': 'public, max-age=60, No-Transform' }),
    'no-transform',
  ],
  [
    'no-transform in a list value',
    'GET',
    response(200, { 'cache-control': ['max-age=1', 'no-transform'] }),
    'no-transform',
  ],
  [
    'no-transform only inside a quoted value',
    'GET',
    response(200, { 'cache-control': 'private="no-transform"' }),
    undefined,
  ],
  ['max-age only', 'GET', response(200, { 'cache-control': 'max-age=60' }), undefined],
]

describe('skipReason', () => {
  it.each(TABLE)('%s → %j', (_name, method, res, expected) => {
    expect(skipReason(method, res)).toBe(expected)
  })
})

describe('mediaType', () => {
  it.each([
    ['text/html; charset=utf-8', 'text/html'],
    ['Application/JSON', 'application/json'],
    ['  text/plain  ;charset=x', 'text/plain'],
    ['', undefined],
    [';', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (value, expected) => {
    expect(mediaType({ status: 200, headers: { 'content-type': value }, body: null })).toBe(expected)
  })
})
