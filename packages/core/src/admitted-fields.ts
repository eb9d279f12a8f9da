/**
 * Header fields an admission middleware (a rate limiter) set on a response before the app ran.
 * They describe this client at this moment, not the representation: a capture further in
 * leaves them out (a cache must not store one client's RateLimit fields and replay them to
 * everyone) and writing an answer keeps them (a hit still tells this client its own quota).
 */
const admitted = new WeakMap<object, Set<string>>()

/** Records that `names` (lower-case) were set on `res` by an admission. */
export function markAdmitted(res: object, names: Iterable<string>): void {
  let set = admitted.get(res)
  if (set === undefined) {
    set = new Set()
    admitted.set(res, set)
  }
  for (const name of names) set.add(name)
}

/** The fields an admission set on `res`, if any. */
export function admittedFields(res: object): ReadonlySet<string> | undefined {
  return admitted.get(res)
}
