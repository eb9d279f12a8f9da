import {
  BriskOptionError,
  headerValue,
  type BriskHeaders,
  type BriskMiddleware,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import { privateVariant } from './directives.js'
import { formatHttpDate } from './http-date.js'
import { requestPath } from './path-pattern.js'
import {
  CACHE_PRESETS,
  compileRule,
  hintPolicy,
  selectRule,
  type CacheControlRule,
  type CompiledRule,
} from './policy.js'

export interface CacheControlOptions {
  /** Rules tried in order; the first whose path and type match the response applies. Default: none. */
  rules?: CacheControlRule[]
  /** Turn a handler's `cacheFor()` hint (`req.hints.cacheFor`) into `Cache-Control`. Default `true`. */
  hints?: boolean
  /** Replace `Cache-Control`, `CDN-Cache-Control`, `Surrogate-Control` and `Expires` the app set itself. Default `false`. */
  override?: boolean
}

const EXPIRED = formatHttpDate(0)

/**
 * A declarative Cache-Control policy. For each 2xx or 304 response it sets, in order of
 * precedence: what the app set itself (kept unless `override`), what the handler declared
 * with `cacheFor()`, what the first matching rule says. A response carrying `Set-Cookie` is
 * per-user: a policy that would let shared caches store it is made `private` (its
 * shared-cache directives dropped) and no CDN fields are set, so one user's cookie never
 * reaches another through a cache.
 */
export function cacheControl(options: CacheControlOptions = {}): BriskMiddleware {
  if (options === null || typeof options !== 'object') {
    throw new BriskOptionError('cacheControl', options, 'an options object')
  }
  const override = options.override ?? false
  if (typeof override !== 'boolean') throw new BriskOptionError('override', override, 'true or false')
  const useHints = options.hints ?? true
  if (typeof useHints !== 'boolean') throw new BriskOptionError('hints', useHints, 'true or false')
  const ruleOptions = options.rules ?? []
  if (!Array.isArray(ruleOptions)) throw new BriskOptionError('rules', ruleOptions, 'an array of rules')
  const rules = ruleOptions.map((rule, index) => compileRule(rule, `rules[${index}]`, override))

  return async function cacheControlMiddleware(req: BriskRequest, next: () => Promise<BriskResponse>) {
    const response = await next()
    const status = response.status
    if (!((status >= 200 && status < 300) || status === 304)) return response
    const headers = response.headers
    const perUser = headers['set-cookie'] !== undefined

    const hint = useHints ? req.hints.cacheFor : undefined
    if (hint !== undefined) {
      const value = hintPolicy(hint)
      set(
        headers,
        'cache-control',
        perUser && hint.private !== true ? privateVariant(value) : value,
        override,
      )
      return response
    }

    if (rules.length === 0) return response
    const rule = selectRule(rules, requestPath(req.url), headerValue(headers, 'content-type'))
    if (rule !== undefined) apply(rule, headers, perUser)
    return response
  }
}

function apply(rule: CompiledRule, headers: BriskHeaders, perUser: boolean): void {
  const policy = rule.cacheControl
  if (perUser && (policy === undefined || policy.shared)) {
    set(
      headers,
      'cache-control',
      policy === undefined ? CACHE_PRESETS.private : policy.privateValue,
      rule.override,
    )
    return
  }
  if (policy !== undefined && set(headers, 'cache-control', policy.value, rule.override) && rule.expires) {
    const expires = policy.expiresAtOnce
      ? EXPIRED
      : policy.maxAge === undefined
        ? undefined
        : formatHttpDate(Date.now() + policy.maxAge * 1000)
    if (expires !== undefined) set(headers, 'expires', expires, rule.override)
  }
  if (rule.cdnCacheControl !== undefined)
    set(headers, 'cdn-cache-control', rule.cdnCacheControl, rule.override)
  if (rule.surrogateControl !== undefined)
    set(headers, 'surrogate-control', rule.surrogateControl, rule.override)
}

// Sets a field unless the app set it and overriding is off; says whether it was set.
function set(headers: BriskHeaders, name: string, value: string, override: boolean): boolean {
  if (!override && headers[name] !== undefined) return false
  headers[name] = value
  return true
}
