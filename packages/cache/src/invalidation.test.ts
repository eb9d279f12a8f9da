import { describe, expect, it } from 'vitest'
import { invalidatedTargets } from './invalidation.js'

describe('invalidatedTargets', () => {
  const cases: Array<[url: string, response: Record<string, string>, expected: string[]]> = [
    ['/posts/1', {}, ['/posts/1']],
    ['/posts', { location: '/posts/2' }, ['/posts', '/posts/2']],
    ['/posts', { location: 'posts/2?x=1' }, ['/posts', '/posts/2?x=1']],
    ['/posts', { location: 'http://example.com/posts/2' }, ['/posts', '/posts/2']],
    ['/posts', { location: 'http://evil.test/posts/2' }, ['/posts']],
    ['/posts', { 'content-location': '/posts/3', location: '/posts/3' }, ['/posts', '/posts/3']],
    ['/posts', { location: 'http://[bad' }, ['/posts']],
  ]
  it.each(cases)('for %s answered with %o invalidates %o', (url, response, expected) => {
    expect(invalidatedTargets(url, { host: 'example.com' }, response)).toEqual(expected)
  })
})
