import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveStaticPath } from './static-path.js'

const root = path.resolve('/srv/public')

describe('resolveStaticPath', () => {
  it.each([
    ['/app.js', '/', path.join(root, 'app.js')],
    ['/css/site.css?v=3', '/', path.join(root, 'css', 'site.css')],
    ['/css/site.css#top', '/', path.join(root, 'css', 'site.css')],
    ['/css/site.css#a?b', '/', path.join(root, 'css', 'site.css')],
    ['/static/app.js', '/static/', path.join(root, 'app.js')],
    ['/my%20file.txt', '/', path.join(root, 'my file.txt')],
    ['/other/app.js', '/static/', undefined],
    ['/', '/', undefined],
    ['/css/', '/', undefined],
    ['/../etc/passwd', '/', undefined],
    ['/css/../../etc/passwd', '/', undefined],
    ['/%2e%2e/etc/passwd', '/', undefined],
    ['/..%2fetc%2fpasswd', '/', undefined],
    ['/%2E%2E%2Fetc/passwd', '/', undefined],
    ['/..%5cetc%5cpasswd', '/', undefined],
    ['/css\\..\\..\\etc', '/', undefined],
    ['/./app.js', '/', undefined],
    ['//etc/passwd', '/', undefined],
    ['/app.js%00.png', '/', undefined],
    ['/%E0%A4%A', '/', undefined],
    [`/${'a/'.repeat(3000)}x`, '/', undefined],
  ])('maps %j under prefix %j to %j', (target, prefix, expected) => {
    expect(resolveStaticPath(root, prefix, target)).toBe(expected)
  })
})
