import { BriskOptionError } from '@brisk/core'

/** A path glob (`/assets/**`, `/*.{js,css}`) or a RegExp, tested on the URL path without its query. */
export type PathPattern = string | RegExp

/**
 * Compiles a path pattern once, at creation. Globs: `*` matches within one segment, `**`
 * across segments (`/**\/` also matches a single `/`, and a final `/**` also matches the path
 * before it: `/admin/**` covers `/admin`), `?` one character other than `/`, `{a,b}` either
 * alternative; everything else is literal.
 *
 * A glob matches the way Express and @koa/router route by default: letters in any case and with
 * or without a trailing slash. Routes decide what the cache, the limiter and the policies do,
 * so a glob narrower than the app's router would let `/ADMIN/x` or `/admin/` past a
 * `cache: false` or a login limit that `/admin/**` or `/login` was meant to cover.
 *
 * A RegExp is used as written, copied without its `g` and `y` flags, whose `lastIndex` would
 * make `test()` answer differently on every call.
 */
export function compilePathPattern(pattern: PathPattern, option: string): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
  if (typeof pattern !== 'string' || !(pattern.startsWith('/') || pattern.startsWith('**'))) {
    throw new BriskOptionError(
      option,
      pattern,
      'a path glob starting with "/" (e.g. "/assets/**") or a RegExp',
    )
  }
  let source = ''
  let inBraces = false
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string
    if (char === '/' && index === pattern.length - 3 && pattern.endsWith('/**')) {
      source += '(?:/.*)?'
      break
    } else if (char === '*') {
      if (pattern[index + 1] === '*') {
        index++
        if (pattern[index + 1] === '/') {
          index++
          source += '(?:.*/)?'
        } else {
          source += '.*'
        }
      } else {
        source += '[^/]*'
      }
    } else if (char === '?') {
      source += '[^/]'
    } else if (char === '{' && !inBraces) {
      inBraces = true
      source += '(?:'
    } else if (char === '}' && inBraces) {
      inBraces = false
      source += ')'
    } else if (char === ',' && inBraces) {
      source += '|'
    } else {
      source += char.replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    }
  }
  if (inBraces) throw new BriskOptionError(option, pattern, 'a glob whose "{" is closed by "}"')
  return new RegExp(source.endsWith('/') ? `^${source}$` : `^${source}/?$`, 'i')
}

/** The path of a request target: no query, no fragment; absolute-form targets reduced to their path. */
export function requestPath(url: string): string {
  let end = url.length
  const query = url.indexOf('?')
  if (query !== -1) end = query
  const fragment = url.indexOf('#')
  if (fragment !== -1 && fragment < end) end = fragment
  const target = url.slice(0, end)
  if (target.startsWith('/')) return target
  // Absolute-form (RFC 9112 §3.2.2), as sent to proxies.
  const scheme = target.indexOf('://')
  if (scheme === -1) return target
  const slash = target.indexOf('/', scheme + 3)
  return slash === -1 ? '/' : target.slice(slash)
}
