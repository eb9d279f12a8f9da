import { describe, expect, test } from 'vitest'
import { BlogConfigError, DEFAULT_DATABASE_PATH, loadConfig } from '../src/config.js'

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      databasePath: DEFAULT_DATABASE_PATH,
      seedPosts: 300,
      secureCookies: false,
      logRequests: false,
      brisk: {
        mode: 'middleware',
        cache: true,
        compress: true,
        conditional: true,
        rateLimit: true,
        store: 'memory',
        redisUrl: 'redis://127.0.0.1:6379',
      },
    })
    expect(config.sessionSecret.length).toBeGreaterThanOrEqual(32)
  })

  test.each([
    [{ BRISK_CACHE: '0' }, { cache: false }],
    [{ BRISK_COMPRESS: 'off' }, { compress: false }],
    [{ BRISK_CONDITIONAL: 'false' }, { conditional: false }],
    [{ BRISK_RATELIMIT: '0' }, { rateLimit: false }],
    [
      { BRISK_STORE: 'redis', REDIS_URL: 'redis://cache:6380' },
      { store: 'redis', redisUrl: 'redis://cache:6380' },
    ],
    [{ BRISK_STORE: 'tiered' }, { store: 'tiered' }],
    [{ BRISK_MODE: 'front' }, { mode: 'front' }],
  ])('%o switches the brisk stack to %o', (env, expected) => {
    expect(loadConfig(env).brisk).toMatchObject(expected)
  })

  test.each([
    [{ PORT: '0' }, { port: 0 }],
    [{ DATABASE_PATH: ':memory:' }, { databasePath: ':memory:' }],
    [{ LOG_REQUESTS: '1' }, { logRequests: true }],
    [{ LOG_LEVEL: 'warn' }, { logLevel: 'warn' }],
    [{ SESSION_SECRET: 's3cret' }, { sessionSecret: 's3cret' }],
  ])('%o sets %o', (env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected)
  })

  test.each([
    [{ PORT: 'eighty' }, 'PORT="eighty"'],
    [{ PORT: '70000' }, 'an integer from 0 to 65535'],
    [{ BRISK_CACHE: 'maybe' }, 'BRISK_CACHE="maybe". Expected 1/true/on or 0/false/off'],
    [{ BRISK_STORE: 'memcached' }, 'Expected memory, redis or tiered'],
    [{ SEED_POSTS: '-1' }, 'SEED_POSTS'],
    [{ BRISK_MODE: 'inline' }, 'Expected middleware or front'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL="loud"'],
  ])('%o is refused at start-up, naming the variable and what is allowed', (env, message) => {
    expect(() => loadConfig(env)).toThrow(BlogConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })
})
