import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame } from './entry-frame.js'

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

describe('entry frame', () => {
  it.each<[string, Buffer]>([
    ['all 256 byte values', allBytes],
    ['an empty body', Buffer.alloc(0)],
    ['a 1 MB body', Buffer.alloc(1024 * 1024, 0xab)],
  ])('round-trips %s unchanged', (_what, body) => {
    const decoded = decodeFrame(encodeFrame({ status: 200 }, 1_700_000_000_000, body))
    expect(decoded?.body.equals(body)).toBe(true)
    expect(decoded?.expiresAt).toBe(1_700_000_000_000)
    expect(decoded?.header).toEqual({ status: 200 })
  })

  it('round-trips metadata with non-ASCII text', () => {
    const meta = {
      headers: { 'content-disposition': 'attachment; filename="résumé-日本.pdf"' },
      list: [1, null, true],
    }
    expect(decodeFrame(encodeFrame(meta, undefined, Buffer.from('x')))?.header).toEqual(meta)
  })

  it('reports no expiry when none was written', () => {
    expect(decodeFrame(encodeFrame({}, undefined, Buffer.alloc(0)))?.expiresAt).toBeUndefined()
  })

  it('returns the body as a view into the frame, not a copy', () => {
    const frame = encodeFrame({}, undefined, Buffer.from('body'))
    expect(decodeFrame(frame)?.body.buffer).toBe(frame.buffer)
  })

  it.each<[string, Buffer]>([
    ['an empty value', Buffer.alloc(0)],
    ['a foreign string', Buffer.from('{"hello":"world"} and more bytes')],
    ['a truncated header', encodeFrame({ a: 'long value' }, undefined, Buffer.alloc(0)).subarray(0, 20)],
    [
      'a future version',
      Buffer.concat([Buffer.from([2]), encodeFrame({}, undefined, Buffer.alloc(0)).subarray(1)]),
    ],
    [
      'broken JSON',
      Buffer.concat([encodeFrame({}, undefined, Buffer.alloc(0)).subarray(0, 13), Buffer.from('{x')]).fill(
        2,
        4,
        5,
      ),
    ],
  ])('treats %s as no entry', (_what, frame) => {
    expect(decodeFrame(frame)).toBeUndefined()
  })

  it('refuses metadata that JSON cannot represent', () => {
    expect(() => encodeFrame(undefined, undefined, Buffer.alloc(0))).toThrow(TypeError)
  })
})
