/**
 * The adapter conformance suite: one table of cases (cases.ts), each run against Express 4,
 * Express 5, Koa 2, Koa 3 and node:http, first as the app alone, then with an identity brisk
 * middleware (`passThrough`) in front. With brisk, every response must be what the app sends
 * without it — status, reason phrase, headers (but Date / Connection / Keep-Alive), body bytes —
 * both as the framework's middleware and in front of the whole app's request listener,
 * SSE events must arrive while the stream is open, and no request may hang or leave listeners
 * behind on the keep-alive connection.
 */
import { passThrough } from '@brisk/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CASES } from './cases.js'
import { checkReference, observe } from './observe.js'
import { FRAMEWORKS, startServer, type RunningServer } from './servers.js'

// A listener leak on any emitter shows up as a MaxListenersExceededWarning.
const warnings: Error[] = []
const onWarning = (warning: Error): void => void warnings.push(warning)
beforeAll(() => void process.on('warning', onWarning))
afterAll(() => {
  process.off('warning', onWarning)
  expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
})

describe.each(FRAMEWORKS)('adapter conformance on %s', (framework) => {
  let plain: RunningServer
  let wrapped: RunningServer
  let front: RunningServer
  beforeAll(async () => {
    plain = await startServer(framework, CASES)
    wrapped = await startServer(framework, CASES, passThrough, 'middleware')
    front = await startServer(framework, CASES, passThrough, 'front')
  })
  afterAll(async () => {
    await plain.close()
    await wrapped.close()
    await front.close()
  })

  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const reference = await observe(plain, entry)
    checkReference(reference, entry.expect)
    expect(await observe(wrapped, entry)).toEqual(reference)
    // The same capture in front of the whole app (node:http adapter around the app's listener).
    expect(await observe(front, entry)).toEqual(reference)
  })
})
