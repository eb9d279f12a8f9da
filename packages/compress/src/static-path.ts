import path from 'node:path'

/**
 * The file a request target names under `root`, or undefined when the target is unsafe or not
 * under `prefix`. Safe means: the decoded path has no NUL byte, no backslash (a separator on
 * Windows), no `.`/`..` segment and no empty segment, so the file is always inside `root`
 * whatever the encoding tricks (`%2e%2e`, `..%2f`, `%5c`). Malformed percent-encoding is refused
 * too. Symbolic links inside `root` are followed, as static servers do.
 */
export function resolveStaticPath(root: string, prefix: string, target: string): string | undefined {
  // Without query or fragment, as serve-static reads the target.
  const end = target.search(/[?#]/)
  const pathname = end === -1 ? target : target.slice(0, end)
  if (!pathname.startsWith(prefix)) return undefined
  const rest = pathname.slice(prefix.length)
  if (rest === '' || rest.endsWith('/') || rest.length > 4096) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(rest)
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined
  const segments = decoded.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return undefined
  }
  const file = path.join(root, ...segments)
  // Belt and braces: the segment rules already keep `file` inside `root`.
  return file.startsWith(root + path.sep) ? file : undefined
}
