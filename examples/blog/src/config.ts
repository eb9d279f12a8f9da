import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

/** Which store backs the response cache (and the data cache). */
export type StoreKind = 'memory' | 'redis' | 'tiered'

/** Everything the blog reads from its environment, validated once at start-up. */
export interface BlogConfig {
  /** TCP port to listen on; 0 picks a free one (tests). */
  port: number
  /** SQLite file, or `:memory:` for a throwaway database. */
  databasePath: string
  /** How many posts the deterministic seed writes into an empty database. */
  seedPosts: number
  /** Key that signs the session cookie (HMAC-SHA256). */
  sessionSecret: string
  /** Adds `Secure` to the session cookie (set it behind HTTPS). */
  secureCookies: boolean
  /** One pino line per request on stdout (`LOG_REQUESTS`). */
  logRequests: boolean
  /** pino level of the application log (`LOG_LEVEL`): fatal, error, warn, info, debug, trace or silent. */
  logLevel: string
  /** Which brisk middlewares run and on which store. */
  brisk: BriskSwitches
}

/** How the brisk stack is installed: `app.use` inside the framework, or in front of it. */
export type BriskMode = 'middleware' | 'front'

/** The brisk stack's switches (each middleware on or off) and its store. */
export interface BriskSwitches {
  /** `middleware` (`app.use`, the default) or `front` (wraps the app's listener) (`BRISK_MODE`). */
  mode: BriskMode
  /** Response cache (`BRISK_CACHE`). */
  cache: boolean
  /** Compression (`BRISK_COMPRESS`). */
  compress: boolean
  /** ETag / 304 / Cache-Control policy (`BRISK_CONDITIONAL`). */
  conditional: boolean
  /** Rate limiting (`BRISK_RATELIMIT`). */
  rateLimit: boolean
  /** Store for the cache and the limiter (`BRISK_STORE`). */
  store: StoreKind
  /** Redis server for the `redis` and `tiered` stores (`REDIS_URL`). */
  redisUrl: string
  /** Prefix of every Redis key this blog writes, so several blogs can share one server (`BRISK_KEY_PREFIX`). */
  keyPrefix: string
  /** Requests one client may make per minute (`RATE_LIMIT_PER_MINUTE`). */
  requestsPerMinute: number
  /** Login attempts one client may make per minute (`LOGIN_LIMIT_PER_MINUTE`). */
  loginsPerMinute: number
}

/** A problem in the environment, named so that the fix is obvious at start-up. */
export class BlogConfigError extends Error {
  constructor(variable: string, value: string, allowed: string) {
    super(`blog: invalid ${variable}=${JSON.stringify(value)}. Expected ${allowed}.`)
    this.name = 'BlogConfigError'
  }
}

/** Where the blog keeps its SQLite file unless told otherwise. */
export const DEFAULT_DATABASE_PATH = fileURLToPath(new URL('../data/blog.sqlite', import.meta.url))

type Env = Readonly<Record<string, string | undefined>>

/** Reads the configuration from environment variables (see the README's table). */
export function loadConfig(env: Env = process.env): BlogConfig {
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    databasePath: env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH,
    seedPosts: integer(env, 'SEED_POSTS', 300, 0, 100_000),
    // Without a configured secret, sessions last as long as the process: fine for a demo.
    sessionSecret: env.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    secureCookies: flag(env, 'SECURE_COOKIES', false),
    logRequests: flag(env, 'LOG_REQUESTS', false),
    logLevel: logLevel(env.LOG_LEVEL),
    brisk: {
      mode: briskMode(env.BRISK_MODE),
      cache: flag(env, 'BRISK_CACHE', true),
      compress: flag(env, 'BRISK_COMPRESS', true),
      conditional: flag(env, 'BRISK_CONDITIONAL', true),
      rateLimit: flag(env, 'BRISK_RATELIMIT', true),
      store: storeKind(env.BRISK_STORE),
      redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: env.BRISK_KEY_PREFIX ?? 'brisk-blog:',
      requestsPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      loginsPerMinute: integer(env, 'LOGIN_LIMIT_PER_MINUTE', 10, 1, 1_000_000),
    },
  }
}

/** A configuration for tests and benchmarks: in-memory database, fixed secret, quiet. */
export function testConfig(
  overrides: Partial<Omit<BlogConfig, 'brisk'>> & { brisk?: Partial<BriskSwitches> } = {},
): BlogConfig {
  const base = loadConfig({
    PORT: '0',
    DATABASE_PATH: ':memory:',
    SESSION_SECRET: 'test-secret',
    SEED_POSTS: '120',
    // Incidents the tests cause on purpose (a Redis server stopped) need no log lines.
    LOG_LEVEL: 'error',
    // A test table logs in more often than a person would; the rate-limit cases set their own.
    RATE_LIMIT_PER_MINUTE: '100000',
    LOGIN_LIMIT_PER_MINUTE: '1000',
  })
  return { ...base, ...overrides, brisk: { ...base.brisk, ...overrides.brisk } }
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  if (value === '1' || value === 'true' || value === 'on') return true
  if (value === '0' || value === 'false' || value === 'off') return false
  throw new BlogConfigError(name, value, '1/true/on or 0/false/off')
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  const parsed = Number(value)
  if (/^\d+$/.test(value) && parsed >= min && parsed <= max) return parsed
  throw new BlogConfigError(name, value, `an integer from ${min} to ${max}`)
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function logLevel(value: string | undefined): string {
  if (value === undefined || value === '') return 'info'
  if (LOG_LEVELS.includes(value)) return value
  throw new BlogConfigError('LOG_LEVEL', value, LOG_LEVELS.join(', '))
}

function briskMode(value: string | undefined): BriskMode {
  if (value === undefined || value === '') return 'middleware'
  if (value === 'middleware' || value === 'front') return value
  throw new BlogConfigError('BRISK_MODE', value, 'middleware or front')
}

function storeKind(value: string | undefined): StoreKind {
  if (value === undefined || value === '') return 'memory'
  if (value === 'memory' || value === 'redis' || value === 'tiered') return value
  throw new BlogConfigError('BRISK_STORE', value, 'memory, redis or tiered')
}
