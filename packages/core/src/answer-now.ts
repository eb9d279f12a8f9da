import type { BriskMiddleware, BriskRequest, BriskResponse } from './exchange.js'

/**
 * A middleware's synchronous attempt at a request: the answer it gives without the app and
 * without waiting (a fresh hit in a store holding entries in this process), or `undefined` when
 * it cannot say now — then the adapter runs the middleware as usual, so the attempt must have
 * changed nothing (no counter, no store write). `inner` is the same attempt by the layers below;
 * once it answered, this layer must answer too (its own post-processing of that response).
 *
 * Why: an adapter in front of the app (front mode) answers most requests from the store, and
 * the promise of an async middleware costs such an answer a microtask and its allocations —
 * about a tenth of what brisk adds to a hit over a raw `node:http` write (bench/README.md).
 */
export type AnswerNow = (
  req: BriskRequest,
  inner: () => BriskResponse | undefined,
) => BriskResponse | undefined

// A registry rather than a property: a wrapper built with Object.assign(wrapper, cache) would
// copy a property, yet the wrapper's own work (whatever it does around the cache) has no
// synchronous twin.
const attempts = new WeakMap<BriskMiddleware, AnswerNow>()

/** Registers `answerNow` as the synchronous twin of `middleware`'s hit path; returns `middleware`. */
export function withAnswerNow<M extends BriskMiddleware>(middleware: M, answerNow: AnswerNow): M {
  attempts.set(middleware, answerNow)
  return middleware
}

/** The synchronous attempt registered for `middleware`, if it has one. */
export function answerNowOf(middleware: BriskMiddleware): AnswerNow | undefined {
  return attempts.get(middleware)
}

/** The inner attempt of the innermost layer: nothing below answers without the app. */
export const NOTHING_BELOW = (): undefined => undefined
