/**
 * The ETag a compressed representation carries (RFC 9110 §8.8.3). A strong validator promises
 * byte-identical content, and gzip bytes differ from identity bytes, so a strong ETag must not
 * survive compression unchanged. brisk weakens it (`"abc"` → `W/"abc"`), as nginx does: the
 * weak comparison that `If-None-Match` uses (§13.1.2) still matches `"abc"` and `W/"abc"`, so
 * 304s keep working through compression, and a validator computed before the handler (by the
 * conditional middleware, or a cache) stays valid. The cost: `If-Match` and `If-Range` need a
 * strong match, so they will not match a compressed response's ETag, which is the correct,
 * conservative outcome for bytes that differ per coding.
 *
 * A value that is neither a weak nor a quoted strong tag is malformed; it is dropped rather than
 * passed on as if it validated the compressed bytes. Returns undefined when there is no ETag.
 */
export function etagForCompressed(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined
  const value = etag.trim()
  if (value.startsWith('W/"')) return value
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) return `W/${value}`
  return undefined
}
