/**
 * A key that keeps its identity once encoded as UTF-8, as Redis and Memcached store it. A
 * string with a lone surrogate (a user name cut in the middle of an emoji) is not valid
 * Unicode: UTF-8 turns every lone surrogate into U+FFFD, so `'a\ud800'`, `'a\udbff'` and
 * `'a\ufffd'` would become one key and one client's value would answer another's. Such a key
 * is replaced by its UTF-16 code units in base64url, behind a NUL no text key starts with.
 * Well-formed keys, all but these, are used as they are.
 */
export function byteKey(key: string): string {
  if ((key as unknown as WellFormedCheck).isWellFormed()) return key
  return `\u0000${Buffer.from(key, 'utf16le').toString('base64url')}`
}

/** `String.prototype.isWellFormed` (ES2024, Node 20), absent from the ES2023 lib typings. */
interface WellFormedCheck {
  isWellFormed(): boolean
}
