import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A static file served under a name that contains its content hash. */
export interface StaticAsset {
  /** URL path, e.g. `/static/style.3f9a1c20b7.css`. */
  path: string
  type: string
  body: Buffer
}

const PUBLIC_DIR = new URL('../public/', import.meta.url)

const FILES = [
  { name: 'style', extension: 'css', type: 'text/css; charset=utf-8' },
  { name: 'app', extension: 'js', type: 'text/javascript; charset=utf-8' },
] as const

/** The hashed URLs that templates link to. */
export interface AssetUrls {
  css: string
  js: string
}

/**
 * Static files with content-hashed names, hashed once at start: a new deploy with a changed
 * file gets a new URL, so every URL can be cached for a year as immutable.
 */
export class StaticAssets {
  readonly urls: AssetUrls
  private readonly byPath = new Map<string, StaticAsset>()

  constructor() {
    const urls: Record<string, string> = {}
    for (const file of FILES) {
      const body = readFileSync(fileURLToPath(new URL(`${file.name}.${file.extension}`, PUBLIC_DIR)))
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12)
      const path = `/static/${file.name}.${hash}.${file.extension}`
      this.byPath.set(path, { path, type: file.type, body })
      urls[file.extension] = path
    }
    this.urls = { css: urls.css ?? '', js: urls.js ?? '' }
  }

  /** The asset at a URL path, or undefined (an old hash or an unknown file). */
  get(path: string): StaticAsset | undefined {
    return this.byPath.get(path)
  }
}
