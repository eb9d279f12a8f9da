/**
 * Measures the data-cache serializer candidates on two typical values: one record and a page
 * of 50 records. Short runs, medians of 7. Run: `npx tsx packages/cache/src/data/bench/serializer.ts`.
 */
import { deserialize, serialize } from 'node:v8'
import { jsonOrV8Serializer } from '../serializer.js'

interface Candidate {
  name: string
  encode(value: unknown): Buffer
  decode(bytes: Buffer): unknown
}

// JSON with a replacer/reviver that tags the types JSON loses, the usual "superjson-lite" approach.
function taggedReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key]
  if (raw instanceof Date) return { $t: 'D', v: raw.getTime() }
  if (raw instanceof Map) return { $t: 'M', v: [...raw] }
  if (raw instanceof Set) return { $t: 'S', v: [...raw] }
  if (raw === undefined) return { $t: 'U' }
  return value
}
function taggedReviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$t' in value) {
    const tagged = value as { $t: string; v: unknown }
    if (tagged.$t === 'D') return new Date(tagged.v as number)
    if (tagged.$t === 'M') return new Map(tagged.v as [unknown, unknown][])
    if (tagged.$t === 'S') return new Set(tagged.v as unknown[])
    if (tagged.$t === 'U') return undefined
  }
  return value
}

const candidates: Candidate[] = [
  {
    name: 'JSON (plain data only)',
    encode: (v) => Buffer.from(JSON.stringify(v)),
    decode: (b) => JSON.parse(b.toString('utf8')),
  },
  {
    name: 'JSON + tagging replacer/reviver',
    encode: (v) => Buffer.from(JSON.stringify(v, taggedReplacer)),
    decode: (b) => JSON.parse(b.toString('utf8'), taggedReviver),
  },
  { name: 'v8.serialize', encode: (v) => serialize(v), decode: (b) => deserialize(b) },
  {
    name: 'json-v8 (plain check, then JSON)',
    encode: (v) => jsonOrV8Serializer.serialize(v),
    decode: (b) => jsonOrV8Serializer.deserialize(b),
  },
]

function record(i: number): Record<string, unknown> {
  return {
    id: i,
    slug: `post-number-${i}`,
    title: `A title for post ${i} that is of ordinary length`,
    author: { id: i % 7, name: 'Ada Lovelace', email: 'ada@example.com' },
    tags: ['node', 'cache', 'http'],
    published: true,
    views: i * 31,
    excerpt: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.',
  }
}

const values = { record: record(1), page50: Array.from({ length: 50 }, (_, i) => record(i)) }

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function opsPerSecond(run: () => void, iterations: number): number {
  const samples: number[] = []
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) run()
    samples.push(iterations / (Number(process.hrtime.bigint() - start) / 1e9))
  }
  return median(samples)
}

for (const [label, value] of Object.entries(values)) {
  const iterations = label === 'record' ? 50_000 : 2_000
  for (const candidate of candidates) {
    const bytes = candidate.encode(value)
    const enc = opsPerSecond(() => candidate.encode(value), iterations)
    const dec = opsPerSecond(() => candidate.decode(bytes), iterations)
    console.log(
      `${label.padEnd(7)} ${candidate.name.padEnd(32)} encode ${Math.round(enc).toString().padStart(8)}/s  decode ${Math.round(dec).toString().padStart(8)}/s  ${bytes.length} B`,
    )
  }
}
