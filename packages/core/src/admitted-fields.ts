/**
 * Header fields an admission middleware (a rate limiter) sets on a response before the app runs.
 * They describe this client at this moment, not the representation: a capture further in leaves
 * them out (a cache must not store one client's RateLimit fields and replay them to everyone)
 * and writing an answer keeps them (a hit still tells this client its own quota).
 *
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers) and their legacy `X-` forms
 * are such fields whoever sets them, so they need no bookkeeping per response: a WeakMap entry
 * per request cost ~3 µs of server CPU per response over real sockets (measured: a 1 KB Koa
 * route, two fields set with and without one), a tenth of the whole request. Other fields an
 * admission sets are recorded per response.
 */
const CLIENT_FIELDS: ReadonlySet<string> = new Set([
  'ratelimit',
  'ratelimit-policy',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
])

const admitted = new WeakMap<object, Set<string>>()

/** Records that `name` (lower-case) was set on `res` by an admission. */
export function markAdmitted(res: object, name: string): void {
  if (CLIENT_FIELDS.has(name)) return
  let set = admitted.get(res)
  if (set === undefined) {
    set = new Set()
    admitted.set(res, set)
  }
  set.add(name)
}

/** Whether `name` (lower-case) on `res` belongs to the client rather than the representation. */
export function isAdmittedField(res: object, name: string): boolean {
  return CLIENT_FIELDS.has(name) || admitted.get(res)?.has(name) === true
}

/** Every field name that may belong to the client on `res` (to leave out of a capture). */
export function admittedNames(res: object): Iterable<string> {
  const marked = admitted.get(res)
  return marked === undefined ? CLIENT_FIELDS : [...CLIENT_FIELDS, ...marked]
}
