import { describe, expect, it } from 'vitest'
import { jsonOrV8Serializer, jsonSerializer, v8Serializer } from './serializer.js'

const roundTrips: [string, unknown][] = [
  ['a string', 'héllo ✓'],
  ['an empty string', ''],
  ['an integer', 42],
  ['a float', 3.25],
  ['-0', -0],
  ['NaN', NaN],
  ['Infinity', -Infinity],
  ['true', true],
  ['null', null],
  ['undefined', undefined],
  ['a plain object', { id: 1, name: 'Ada', nested: { list: [1, 'two', null] } }],
  ['an object holding undefined', { a: undefined, b: null }],
  ['an array holding undefined', [1, undefined, 3]],
  ['a sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
  ['an empty object', {}],
  ['an empty array', []],
  ['a Date', new Date('2024-02-29T12:34:56.789Z')],
  ['an object holding a Date', { at: new Date(0) }],
  ['a Buffer', Buffer.from([0, 1, 2, 255])],
  ['a Uint8Array', new Uint8Array([9, 8, 7])],
  [
    'a Map',
    new Map<unknown, unknown>([
      ['a', 1],
      [2, { b: new Date(5) }],
    ]),
  ],
  ['a Set', new Set([1, 'two', null])],
  ['a BigInt', 12345678901234567890n],
  ['a RegExp', /ab+c/gi],
]

describe('jsonOrV8Serializer', () => {
  it.each(roundTrips)('round-trips %s', (_label, value) => {
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize(value))
    expect(back).toStrictEqual(value)
    if (value instanceof Buffer) expect(Buffer.isBuffer(back)).toBe(true)
  })

  it('round-trips an Error with its name and message', () => {
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize(new RangeError('too far')))
    expect(back).toBeInstanceOf(RangeError)
    expect((back as Error).message).toBe('too far')
  })

  it('round-trips an ArrayBuffer', () => {
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize(new Uint8Array([1, 2]).buffer))
    expect(back).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(back as ArrayBuffer)]).toEqual([1, 2])
  })

  it('gives shared references in plain data back as equal copies (JSON has no references)', () => {
    const shared = { n: 1 }
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize({ a: shared, b: shared })) as {
      a: object
      b: object
    }
    expect(back.a).toEqual(back.b)
    expect(back.a).not.toBe(back.b)
  })

  it('keeps a shared reference shared when the value takes the v8 path', () => {
    const shared = { n: 1 }
    const back = jsonOrV8Serializer.deserialize(
      jsonOrV8Serializer.serialize({ a: shared, b: shared, at: new Date(0) }),
    ) as {
      a: object
      b: object
    }
    expect(back.a).toBe(back.b)
  })

  it('keeps a cycle', () => {
    const node: { self?: unknown; n: number } = { n: 1 }
    node.self = node
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize(node)) as typeof node
    expect(back.self).toBe(back)
  })

  it('writes plain data as JSON text, which is the fastest to decode', () => {
    expect(jsonOrV8Serializer.serialize({ a: [1, 'x'] }).toString('utf8')).toBe('{"a":[1,"x"]}')
  })

  it.each([
    ['undefined', undefined],
    ['a Date', { at: new Date(0) }],
    ['-0', [-0]],
    [
      'a class instance',
      {
        p: new (class P {
          x = 1
        })(),
      },
    ],
  ])('writes %s with v8 because JSON would change it', (_label, value) => {
    expect(jsonOrV8Serializer.serialize(value)[0]).toBe(0xff)
  })

  it('turns a class instance into a plain object (the prototype does not round-trip)', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize(new Point(1, 2)))
    expect(back).not.toBeInstanceOf(Point)
    expect(back).toEqual({ x: 1, y: 2 })
  })

  it('gives a null-prototype object back as an ordinary object', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 })
    const back = jsonOrV8Serializer.deserialize(jsonOrV8Serializer.serialize(value))
    expect(back).toEqual({ a: 1 })
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
  })

  it.each([
    ['an object with an own toJSON function', { toJSON: () => 'x' }],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['an object holding a function', { f: () => 1 }],
    ['a WeakMap', new WeakMap()],
    ['a WeakSet', new WeakSet()],
    ['a Promise', Promise.resolve(1)],
  ])('refuses %s', (_label, value) => {
    expect(() => jsonOrV8Serializer.serialize(value)).toThrow()
  })

  it('rejects bytes it did not write', () => {
    expect(() => jsonOrV8Serializer.deserialize(Buffer.from('{not json'))).toThrow()
  })
})

describe('jsonSerializer', () => {
  it('refuses undefined, which JSON cannot represent', () => {
    expect(() => jsonSerializer.serialize(undefined)).toThrow(/JSON cannot represent undefined/)
  })

  it('turns a Date into its ISO string', () => {
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(new Date(0)))).toBe('1970-01-01T00:00:00.000Z')
  })
})

describe('v8Serializer', () => {
  it('round-trips a Map of Dates', () => {
    const value = new Map([['d', new Date(7)]])
    expect(v8Serializer.deserialize(v8Serializer.serialize(value))).toStrictEqual(value)
  })
})
