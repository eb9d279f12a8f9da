import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { captureBody } from './body-capture.js'

describe('captureBody', () => {
  it('takes a Buffer within the limit as it is', async () => {
    const body = Buffer.from('hello')
    const captured = captureBody(body, 10, undefined)
    expect(captured.body).toBe(body)
    expect(await captured.bytes).toBe(body)
  })

  it('refuses a Buffer over the limit', async () => {
    expect(await captureBody(Buffer.alloc(11), 10, undefined).bytes).toBeUndefined()
  })

  it('stores an empty body for a null body', async () => {
    expect((await captureBody(null, 10, undefined).bytes)?.length).toBe(0)
  })

  it('passes a stream on and keeps a copy when it ends within the limit', async () => {
    const captured = captureBody(Readable.from([Buffer.from('ab'), 'cd', Buffer.from('e')]), 10, undefined)
    expect(await text(captured.body as Readable)).toBe('abcde')
    expect((await captured.bytes)?.toString()).toBe('abcde')
  })

  it('passes a stream over the limit on whole but keeps nothing', async () => {
    const chunks = Array.from({ length: 20 }, () => Buffer.from('0123456789'))
    const captured = captureBody(Readable.from(chunks), 50, undefined)
    expect((await text(captured.body as Readable)).length).toBe(200)
    expect(await captured.bytes).toBeUndefined()
  })

  it('leaves a stream untouched when its declared length is over the limit', async () => {
    const stream = Readable.from([Buffer.from('x')])
    const captured = captureBody(stream, 10, 1_000)
    expect(captured.body).toBe(stream)
    expect(await captured.bytes).toBeUndefined()
  })

  it('keeps nothing from a stream that fails', async () => {
    const failing = new Readable({
      read() {
        this.push('partial')
        this.destroy(new Error('boom'))
      },
    })
    const captured = captureBody(failing, 100, undefined)
    ;(captured.body as Readable).on('error', () => {})
    ;(captured.body as Readable).resume()
    expect(await captured.bytes).toBeUndefined()
  })

  it('keeps nothing when the client goes away mid-stream', async () => {
    let pushed = 0
    const endless = new Readable({
      read() {
        pushed++
        this.push(Buffer.alloc(16))
      },
    })
    const captured = captureBody(endless, 1_000_000, undefined)
    const body = captured.body as Readable
    body.once('data', () => body.destroy())
    body.on('error', () => {})
    expect(await captured.bytes).toBeUndefined()
    expect(pushed).toBeGreaterThan(0)
  })

  it('never holds more than the limit of an endless stream', async () => {
    let pushed = 0
    const endless = new Readable({
      read() {
        pushed++
        this.push(pushed > 1000 ? null : Buffer.alloc(1024))
      },
    })
    const captured = captureBody(endless, 4096, undefined)
    ;(captured.body as Readable).resume()
    expect(await captured.bytes).toBeUndefined()
  })
})
