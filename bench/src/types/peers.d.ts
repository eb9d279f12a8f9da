// Minimal typings for the peers that ship none: only what the benchmark calls.

declare module 'koa-cash' {
  import type { Context, Middleware } from 'koa'
  interface KoaCashOptions {
    /** Seconds an entry lives (passed to get/set). */
    maxAge?: number
    get(key: string, maxAge: number): unknown
    set(key: string, value: unknown, maxAge: number): unknown
    hash?: (ctx: Context) => string
  }
  export default function koaCash(options: KoaCashOptions): Middleware
}

declare module 'apicache' {
  import type { RequestHandler } from 'express'
  interface ApiCache {
    middleware(duration?: string | number): RequestHandler
    newInstance(config?: Record<string, unknown>): ApiCache
    clear(target?: string): unknown
  }
  const apicache: ApiCache
  export default apicache
}

declare module 'express4' {
  import express from 'express'
  export default express
}
