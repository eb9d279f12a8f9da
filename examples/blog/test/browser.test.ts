import { existsSync, mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { testConfig } from '../src/config.js'
import { createApp } from '../src/koa.js'
import { PAGE_SIZE } from '../src/pages.js'

// Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it on CI).
const CHROMIUM = '/usr/bin/chromium'
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
/** Screenshots go to `test-output/` at the repository root (gitignored). */
const OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url))

const hasChromium = existsSync(CHROMIUM)
// On CI the test always runs, so a missing browser fails it instead of hiding it.
const runBrowser = hasChromium || Boolean(process.env.CI)
if (!runBrowser) {
  console.warn(
    `browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium); CI runs it always`,
  )
}

describe.runIf(runBrowser)('the Koa blog in Chromium', () => {
  let blog: ReturnType<typeof createApp>
  let server: Server
  let origin: string
  let browser: Browser

  beforeAll(async () => {
    blog = createApp(testConfig())
    server = createServer(blog.listener)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve())
    await blog?.close()
  })

  test('the browser gets compressed pages, and a reload is answered by the cache or with a 304', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      const responses: Response[] = []
      page.on('response', (response) => responses.push(response))
      // Chromium reports a revalidated page as the cached 200; the status on the wire (304)
      // is in the DevTools protocol's raw response events.
      const wireStatuses: number[] = []
      const devtools = await context.newCDPSession(page)
      await devtools.send('Network.enable')
      devtools.on('Network.responseReceivedExtraInfo', (event) => wireStatuses.push(event.statusCode))

      const home = await page.goto(`${origin}/`)
      expect(home?.status()).toBe(200)
      expect(['br', 'gzip']).toContain((await home!.allHeaders())['content-encoding'])
      expect(await page.locator('article.summary').count()).toBe(PAGE_SIZE)

      const link = page.locator('article.summary h2 a').first()
      const title = await link.textContent()
      await Promise.all([page.waitForURL(/\/posts\/\d+$/), link.click()])
      expect(await page.locator('article.post h1').textContent()).toBe(title)

      const before = responses.length
      const wireBefore = wireStatuses.length
      const reload = await page.reload()
      expect(reload).not.toBeNull()
      const reloaded = responses.slice(before).filter((response) => response.url() === page.url())
      expect(reloaded.length).toBeGreaterThan(0)
      // max-age=0 makes the browser revalidate: brisk answers 304 from the ETag, or the page
      // comes from brisk's cache (stored when the link was followed).
      const hits = await Promise.all(
        reloaded.map(async (response) => /; hit/.test((await response.allHeaders())['cache-status'] ?? '')),
      )
      const notModified = wireStatuses.slice(wireBefore).includes(304)
      expect(notModified || hits.includes(true)).toBe(true)
      expect(await page.locator('article.post h1').textContent()).toBe(title)

      mkdirSync(OUTPUT, { recursive: true })
      await page.screenshot({ path: `${OUTPUT}blog-post.png`, fullPage: false })
      await page.goto(`${origin}/`)
      await page.screenshot({ path: `${OUTPUT}blog-home.png`, fullPage: false })
    } finally {
      await context.close()
    }
  })

  test("each signed-in user sees only their own account page, never the other's", async () => {
    const logIn = async (username: string): Promise<BrowserContext> => {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(`${origin}/login`)
      await page.fill('#username', username)
      await page.fill('#password', 'demo')
      await Promise.all([page.waitForURL(`${origin}/account`), page.click('button[type=submit]')])
      return context
    }
    const alice = await logIn('alice')
    const bob = await logIn('bob')
    try {
      const alicePage = await alice.newPage()
      const bobPage = await bob.newPage()
      // Interleaved, twice: a shared cache that kept one would hand it to the other here.
      for (let round = 0; round < 2; round++) {
        for (const [page, own, other] of [
          [alicePage, 'Alice Moreau', 'Bob Okafor'],
          [bobPage, 'Bob Okafor', 'Alice Moreau'],
        ] as const) {
          const response = await page.goto(`${origin}/account`)
          expect(response?.status()).toBe(200)
          const text = await page.locator('main').textContent()
          expect(text).toContain(own)
          expect(text).not.toContain(other)
        }
      }
    } finally {
      await alice.close()
      await bob.close()
    }
  })
})
