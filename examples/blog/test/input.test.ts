import { describe, expect, test } from 'vitest'
import { InvalidPostError, pageNumber, postId, postInput, tagName } from '../src/input.js'
import { HttpError } from '../src/route.js'

describe('pageNumber', () => {
  test.each([
    ['/', 1],
    ['/?page=1', 1],
    ['/?page=37', 37],
    ['/?page=000002', 2],
  ])('%s is page %i', (path, page) => {
    expect(pageNumber(new URL(path, 'http://x'))).toBe(page)
  })

  test.each(['/?page=0', '/?page=-1', '/?page=1.5', '/?page=', '/?page=abc', '/?page=1234567', '/?page=2e3'])(
    '%s is a 400',
    (path) => {
      expect(() => pageNumber(new URL(path, 'http://x'))).toThrow(expect.objectContaining({ status: 400 }))
    },
  )
})

describe('path parameters', () => {
  test.each([undefined, '', 'abc', '1.0', '-1', '1'.repeat(13)])('post id %j is a 404', (value) => {
    expect(() => postId(value)).toThrow(expect.objectContaining({ status: 404 }))
  })

  test.each([undefined, '', 'Caching', 'a b', '-lead', 'x'.repeat(41), '<script>'])(
    'tag %j is a 404',
    (value) => {
      expect(() => tagName(value)).toThrow(HttpError)
    },
  )

  test('a well-formed id and tag pass through', () => {
    expect(postId('42')).toBe(42)
    expect(tagName('http-2')).toBe('http-2')
  })
})

describe('postInput', () => {
  test('trims, normalises line ends and lower-cases, de-duplicates and splits tags', () => {
    expect(postInput({ title: '  Hello ', body: 'a\r\n\r\nb ', tags: 'Redis, http ,redis,' })).toEqual({
      title: 'Hello',
      body: 'a\n\nb',
      tags: ['redis', 'http'],
    })
  })

  test('accepts tags as a JSON array', () => {
    expect(postInput({ title: 't', body: 'b', tags: ['A', 'b'] }).tags).toEqual(['a', 'b'])
  })

  test.each([
    [{ title: '', body: 'b' }, 'The title must have'],
    [{ title: 'x'.repeat(201), body: 'b' }, 'The title must have'],
    [{ title: 42, body: 'b' }, 'The title must have'],
    [{ title: 't', body: '   ' }, 'The text must have'],
    [{ title: 't', body: 'b', tags: 'a,b,c,d,e,f' }, 'at most 5 tags'],
    [{ title: 't', body: 'b', tags: ['no spaces'] }, 'may only hold'],
  ])('%o is refused: %s', (fields, message) => {
    expect(() => postInput(fields)).toThrow(InvalidPostError)
    expect(() => postInput(fields)).toThrow(message)
  })
})
