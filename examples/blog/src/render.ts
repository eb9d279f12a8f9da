import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import type { AssetUrls } from './static-assets.js'

const VIEWS = fileURLToPath(new URL('./templates/', import.meta.url))

/** The pages the templates directory holds. */
export type PageName =
  'home' | 'post' | 'tag' | 'search' | 'login' | 'account' | 'admin-posts' | 'admin-edit' | 'error'

/**
 * Renders Eta pages inside the shared layout. Templates are compiled once and kept (Eta's
 * `cache`); every request still renders its page afresh, which is what the cache saves.
 */
export class Renderer {
  private readonly eta = new Eta({ views: VIEWS, cache: true, autoEscape: true })
  private readonly site: string
  private readonly assets: AssetUrls

  constructor(site: string, assets: AssetUrls) {
    this.site = site
    this.assets = assets
  }

  /** One page as HTML; `data` is the page's own values, `title` goes into `<title>`. */
  page(name: PageName, title: string, data: object): string {
    return this.eta.render(`./${name}`, {
      ...data,
      title,
      site: this.site,
      assets: this.assets,
      iso: isoDate,
      day: day,
    })
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString()
}

/** `2025-05-31` in UTC: the same on every server, whatever its time zone. */
function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
