/**
 * Entity tags (RFC 9110 §8.8.3) and their two comparison functions (§8.8.3.2):
 * strong comparison (both tags strong, opaque-tags equal) for If-Match, weak comparison
 * (opaque-tags equal, either may be weak) for If-None-Match.
 *
 * The list walkers read a request field value once, in place, without building an array, so
 * a hostile list costs time linear in its length and no memory. Malformed members are
 * skipped, never thrown on.
 */

/** An entity tag split into its weakness flag and its opaque-tag (quotes included). */
export interface EntityTag {
  weak: boolean
  /** The quoted opaque-tag, e.g. `"abc"`. */
  opaque: string
}

/** Parses one entity-tag (`"abc"` or `W/"abc"`), or `undefined` when malformed. */
export function parseEntityTag(value: string | undefined): EntityTag | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  const weak = text.startsWith('W/')
  const start = weak ? 2 : 0
  if (text.length - start < 2 || text.charCodeAt(start) !== 0x22) return undefined
  const end = text.length - 1
  if (text.charCodeAt(end) !== 0x22 || !validOpaque(text, start + 1, end)) return undefined
  return { weak, opaque: weak ? text.slice(2) : text }
}

/** Strong comparison (§8.8.3.2): both strong and character-for-character equal. */
export function strongCompare(a: string | undefined, b: string | undefined): boolean {
  const left = parseEntityTag(a)
  const right = parseEntityTag(b)
  return (
    left !== undefined && right !== undefined && !left.weak && !right.weak && left.opaque === right.opaque
  )
}

/** Weak comparison (§8.8.3.2): opaque-tags equal, whether or not either is weak. */
export function weakCompare(a: string | undefined, b: string | undefined): boolean {
  const left = parseEntityTag(a)
  const right = parseEntityTag(b)
  return left !== undefined && right !== undefined && left.opaque === right.opaque
}

/** Whether a field value is the `*` form of If-Match / If-None-Match. */
export function isWildcard(fieldValue: string): boolean {
  return fieldValue.trim() === '*'
}

/**
 * Whether any member of an entity-tag list (`"a", W/"b"`) matches `current` under the given
 * comparison. Members that are not valid entity-tags (including a `*` inside a list, which
 * the grammar `"*" / #entity-tag` does not allow) match nothing.
 */
export function listMatches(fieldValue: string, current: EntityTag, comparison: 'strong' | 'weak'): boolean {
  if (comparison === 'strong' && current.weak) return false
  const length = fieldValue.length
  const opaqueLength = current.opaque.length
  let index = 0
  while (index < length) {
    let code = fieldValue.charCodeAt(index)
    if (code === 0x20 || code === 0x09 || code === 0x2c) {
      index++
      continue
    }
    let weak = false
    if (code === 0x57 && fieldValue.charCodeAt(index + 1) === 0x2f) {
      weak = true
      index += 2
      code = fieldValue.charCodeAt(index)
    }
    if (code !== 0x22) {
      index = nextMember(fieldValue, index)
      continue
    }
    const close = fieldValue.indexOf('"', index + 1)
    if (close === -1) return false
    const after = skipSpaces(fieldValue, close + 1)
    const wellFormed =
      (after === length || fieldValue.charCodeAt(after) === 0x2c) && validOpaque(fieldValue, index + 1, close)
    if (
      wellFormed &&
      close + 1 - index === opaqueLength &&
      fieldValue.startsWith(current.opaque, index) &&
      (comparison === 'weak' || !weak)
    ) {
      return true
    }
    index = wellFormed ? after : nextMember(fieldValue, close + 1)
  }
  return false
}

// etagc = %x21 / %x23-7E / obs-text
function validOpaque(text: string, from: number, to: number): boolean {
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index)
    if (code < 0x21 || code === 0x22 || code === 0x7f) return false
  }
  return true
}

function skipSpaces(text: string, from: number): number {
  let index = from
  while (index < text.length && (text.charCodeAt(index) === 0x20 || text.charCodeAt(index) === 0x09)) index++
  return index
}

// A malformed member is skipped up to the next comma outside quotes.
function nextMember(text: string, from: number): number {
  let index = from
  let quoted = false
  while (index < text.length) {
    const code = text.charCodeAt(index)
    if (code === 0x22) quoted = !quoted
    else if (code === 0x2c && !quoted) return index + 1
    index++
  }
  return index
}
