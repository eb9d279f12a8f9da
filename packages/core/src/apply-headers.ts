import type { ServerResponse } from 'node:http'
import { isAdmittedField } from './admitted-fields.js'
import { setBeforeApp } from './earlier-fields.js'
import type { BriskHeaders } from './exchange.js'

/**
 * Makes the response's header map exactly `headers`: fields the answer no longer has are
 * removed (a compressor dropping `content-length`), the others set only when they differ, so
 * the common pass-through pays for a comparison per header rather than a re-validation.
 */
export function applyHeaders(res: ServerResponse, headers: BriskHeaders): void {
  removeHeadersNotIn(res, headers)
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined && res.getHeader(name) !== value) res.setHeader(name, value)
  }
}

/**
 * Removes from the response the fields `headers` does not have, except those an admission set
 * for this client (its RateLimit fields stay on whatever answer is written) and those middleware
 * in front of brisk set for this request (see earlier-fields).
 */
export function removeHeadersNotIn(res: ServerResponse, headers: BriskHeaders): void {
  for (const name of res.getHeaderNames()) {
    if (headers[name] === undefined && !isAdmittedField(res, name) && !setBeforeApp(res, name)) {
      res.removeHeader(name)
    }
  }
}

/**
 * Before a 500 replaces an answer the app failed to finish: the fields the app set go (a
 * `Set-Cookie` it set before it threw must not ride on the error); those a limiter set for this
 * client stay, and those set before brisk let the app run, where the adapter recorded them.
 */
export function removeAppFields(res: ServerResponse): void {
  removeHeadersNotIn(res, {})
}
