import { afterAll, beforeAll, describe, test } from 'vitest'
import { testConfig } from '../src/config.js'
import { createApp as createExpressApp } from '../src/express.js'
import { createApp as createKoaApp } from '../src/koa.js'
import { CASES, type CaseContext } from './cases.js'

const ENTRY_POINTS = [
  ['koa', createKoaApp],
  ['express', createExpressApp],
] as const

describe.each(ENTRY_POINTS)('the blog on %s', (_name, createApp) => {
  let app: ReturnType<typeof createApp>
  const context = {} as CaseContext

  beforeAll(() => {
    app = createApp(testConfig())
    context.listener = app.listener
    context.blog = app.blog
    context.create = (brisk) => createApp(testConfig({ brisk }))
  })

  afterAll(() => app.close())

  for (const blogCase of CASES) {
    test(blogCase.name, () => blogCase.run(context))
  }
})
