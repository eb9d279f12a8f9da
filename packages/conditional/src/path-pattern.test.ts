import { BriskOptionError } from '@brisk/core'
import { describe, expect, it } from 'vitest'
import { compilePathPattern, requestPath } from './path-pattern.js'

describe('compilePathPattern', () => {
  it.each([
    ['/assets/**', '/assets/app.3f9a1c.js', true],
    ['/assets/**', '/assets/img/logo.png', true],
    ['/assets/**', '/assets', true],
    ['/assets/**', '/assets/', true],
    ['/assets/**', '/assetsx', false],
    ['/assets/**', '/ASSETS/App.js', true],
    ['/admin/*', '/Admin/Users', true],
    ['/login', '/LOGIN', true],
    ['/login', '/login/', true],
    ['/login', '/login/x', false],
    ['/login', '/loginx', false],
    ['/assets/**', '/other/assets/x', false],
    ['/assets/*', '/assets/app.js', true],
    ['/assets/*', '/assets/img/logo.png', false],
    ['/**/*.js', '/app.js', true],
    ['/**/*.js', '/a/b/c/app.js', true],
    ['/**/*.js', '/a/b/app.json', false],
    ['**/*.css', '/x/y.css', true],
    ['/*.{js,css}', '/app.css', true],
    ['/*.{js,css}', '/app.js', true],
    ['/*.{js,css}', '/app.html', false],
    ['/post/?', '/post/1', true],
    ['/post/?', '/post/12', false],
    ['/api/v1.0/*', '/api/v1.0/users', true],
    ['/api/v1.0/*', '/api/v1x0/users', false],
    ['/a+b/(x)', '/a+b/(x)', true],
    ['/', '/', true],
    ['/', '/index.html', false],
  ])('%s against %s: %s', (pattern, path, expected) => {
    expect(compilePathPattern(pattern, 'path').test(path)).toBe(expected)
  })

  it('uses a RegExp as written: its own case and slash rules', () => {
    const pattern = compilePathPattern(/^\/login$/, 'path')
    expect([pattern.test('/login'), pattern.test('/LOGIN'), pattern.test('/login/')]).toEqual([
      true,
      false,
      false,
    ])
  })

  it('tests a global RegExp the same way every time', () => {
    const pattern = compilePathPattern(/^\/api\//g, 'path')
    expect([pattern.test('/api/x'), pattern.test('/api/x'), pattern.test('/api/x')]).toEqual([
      true,
      true,
      true,
    ])
  })

  it.each([['assets/**'], [''], ['/a/{b,c']])('refuses %j', (pattern) => {
    expect(() => compilePathPattern(pattern, 'rules[0].path')).toThrow(BriskOptionError)
  })

  it('refuses a value that is neither a string nor a RegExp', () => {
    expect(() => compilePathPattern(42 as unknown as string, 'rules[0].path')).toThrow(/rules\[0\]\.path: 42/)
  })
})

describe('requestPath', () => {
  it.each([
    ['/posts?page=2', '/posts'],
    ['/posts#top', '/posts'],
    ['/posts?q=#x', '/posts'],
    ['/', '/'],
    ['http://example.com/a/b?c', '/a/b'],
    ['http://example.com', '/'],
    ['*', '*'],
  ])('%s → %s', (url, path) => {
    expect(requestPath(url)).toBe(path)
  })
})
