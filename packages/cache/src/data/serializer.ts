import { deserialize, serialize } from 'node:v8'

/** Turns data-cache values into the bytes a store keeps, and back. Pluggable per cache. */
export interface DataSerializer {
  /** Short name recorded in every entry, so an entry written by another serializer reads as a miss. */
  readonly name: string
  /** Encodes a value; throws when the value cannot be represented. */
  serialize(value: unknown): Buffer
  /** Decodes bytes produced by {@link serialize}; throws on bytes it does not recognise. */
  deserialize(bytes: Buffer): unknown
}

/** Thrown by `set`/`getOrSet` when a value cannot be serialized; nothing is stored. */
export class DataCacheSerializeError extends TypeError {
  readonly key: string

  constructor(key: string, serializer: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      `brisk data cache: the value for key ${JSON.stringify(key)} cannot be serialized by ${serializer}: ${reason}`,
      {
        cause,
      },
    )
    this.name = 'DataCacheSerializeError'
    this.key = key
  }
}

// Deeper than this, a value is handed to v8 (which also handles cycles) instead of walked further.
const MAX_PLAIN_DEPTH = 64

/**
 * Whether JSON.stringify + JSON.parse gives back an equal value: null, booleans, strings,
 * finite numbers other than -0, dense arrays and plain objects of those. Everything else
 * (undefined, Date, Map, Set, typed arrays, BigInt, objects with toJSON, class instances)
 * goes through v8.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object': {
      if (value === null) return true
      if (depth > MAX_PLAIN_DEPTH) return false
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !isPlainJson(value[i], depth + 1)) return false
        }
        return true
      }
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return false
      if ('toJSON' in value) return false
      for (const key in value) {
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

// v8.serialize output always starts with its version tag 0xFF; UTF-8 JSON text never contains
// that byte, so the first byte tells the formats apart without a header of our own.
const V8_VERSION_TAG = 0xff

/**
 * The default serializer: JSON for plain data, `v8.serialize` for everything else.
 *
 * Chosen by measurement (`bench/serializer.ts` beside this file, Node 20, medians of 7 short
 * runs). Decoding a 300 B record: JSON.parse 1.31 M/s, v8.deserialize 0.48 M/s, JSON with a
 * tagging reviver 0.31 M/s, this serializer 1.23 M/s; a 15 KB page of 50 records: 28.9 k/s,
 * 11.0 k/s, 6.6 k/s and 28.2 k/s. Encoding costs the plain-data check (0.78 M/s against 0.94 M/s
 * for bare JSON) but happens once per miss, while decoding happens on every remote hit.
 * Remote hits decode on every read, so plain data takes the JSON path; v8 keeps Date, Map, Set,
 * Buffer/typed arrays, undefined, BigInt, -0, NaN and cycles exact where JSON would not.
 */
export const jsonOrV8Serializer: DataSerializer = {
  name: 'json-v8',
  serialize(value) {
    if (isPlainJson(value, 0)) return Buffer.from(JSON.stringify(value), 'utf8')
    return serialize(value)
  },
  deserialize(bytes) {
    if (bytes[0] === V8_VERSION_TAG) return deserialize(bytes)
    return JSON.parse(bytes.toString('utf8'))
  },
}

/** `v8.serialize` for every value (structured clone: same types as the default, slower decode of plain data). */
export const v8Serializer: DataSerializer = {
  name: 'v8',
  serialize: (value) => serialize(value),
  deserialize: (bytes) => deserialize(bytes),
}

/** Plain JSON: only JSON data round-trips (Date becomes a string, undefined disappears). */
export const jsonSerializer: DataSerializer = {
  name: 'json',
  serialize(value) {
    const text = JSON.stringify(value)
    if (text === undefined) throw new TypeError(`JSON cannot represent ${typeof value}`)
    return Buffer.from(text, 'utf8')
  },
  deserialize: (bytes) => JSON.parse(bytes.toString('utf8')),
}
