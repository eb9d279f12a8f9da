import { compose, type BriskLogger, type BriskMetrics, type BriskMiddleware } from '@brisk/core'
import { compress } from '@brisk/compress'
import { conditional } from '@brisk/conditional'
import type { BriskSwitches } from './config.js'
import type { PurgeTags } from './purge.js'

/** The brisk middlewares the blog runs, built from its configuration. */
export interface BriskStack {
  /** All enabled middlewares composed into one, or undefined when none is enabled. */
  middleware: BriskMiddleware | undefined
  /** Names of the middlewares in `middleware`, outermost first (shown at start-up). */
  enabled: string[]
  /** Purges cached responses by tag; undefined without a cache. */
  purgeTags: PurgeTags | undefined
  /** Closes the stores the stack opened (Redis connections). */
  close(): Promise<void>
}

/**
 * The one place where the blog decides which brisk middlewares run, in which order and on
 * which store; the entry points install the result once, in front of their routes.
 *
 * Order, outermost first (DESIGN.md): rate limit → conditional → cache → compress → routes.
 * Conditional sits outside compress so that its ETag is computed once per representation
 * and compress derives the coded variant's tag from it. The rate limiter and the response
 * cache join here when their middlewares land.
 */
export function briskStack(switches: BriskSwitches, metrics: BriskMetrics, logger: BriskLogger): BriskStack {
  const middlewares: Array<[string, BriskMiddleware]> = []
  const closers: Array<() => Promise<void>> = []
  if (switches.conditional) middlewares.push(['conditional', conditional({ metrics, logger })])
  if (switches.compress) middlewares.push(['compress', compress({ metrics })])
  return {
    middleware: middlewares.length === 0 ? undefined : compose(...middlewares.map(([, mw]) => mw)),
    enabled: middlewares.map(([name]) => name),
    purgeTags: undefined,
    async close() {
      await Promise.all(closers.map((close) => close()))
    },
  }
}
