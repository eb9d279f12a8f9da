export {
  conditional,
  type ConditionalOptions,
  type CurrentValidators,
  type ValidatorsResult,
} from './conditional.js'
export {
  evaluatePreconditions,
  hasPreconditions,
  type PreconditionOutcome,
  type Validators,
} from './preconditions.js'
export { listMatches, parseEntityTag, strongCompare, weakCompare, type EntityTag } from './entity-tag.js'
export { formatHttpDate, parseHttpDate } from './http-date.js'
export { generateEtag } from './generate-etag.js'
export { notModifiedHeaders } from './not-modified.js'
export { cacheControl, type CacheControlOptions } from './cache-control.js'
export {
  CACHE_PRESETS,
  compileRule,
  hintPolicy,
  selectRule,
  type CachePreset,
  type CacheControlRule,
  type CompiledRule,
} from './policy.js'
export { privateVariant, renderDirectives, type CacheDirectives } from './directives.js'
export { compilePathPattern, requestPath, type PathPattern } from './path-pattern.js'
