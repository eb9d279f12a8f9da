/**
 * Which digest should `conditional()` use for the ETags it generates? Short runs, medians:
 *   npx tsx packages/conditional/bench/etag-hash.ts
 * Compares the jshttp `etag` package (createHash('sha1') per call) with the one-shot
 * `crypto.hash()` (Node >= 20.12) for the same sha1 format, md5, and zlib's crc32 (too short
 * for a strong validator, measured only as the floor).
 */
import { createHash, hash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import etag from 'etag'

type Candidate = [name: string, run: (body: Buffer) => string]

const candidates: Candidate[] = [
  ['etag package (createHash sha1)', (body) => etag(body)],
  [
    'crypto.hash sha1, same format',
    (body) => `"${body.length.toString(16)}-${hash('sha1', body, 'base64').slice(0, 27)}"`,
  ],
  ['crypto.hash md5', (body) => `"${body.length.toString(16)}-${hash('md5', body, 'base64url')}"`],
  ['createHash md5', (body) => `"${createHash('md5').update(body).digest('base64url')}"`],
  ['zlib crc32 (floor only)', (body) => `"${body.length.toString(16)}-${crc32(body).toString(16)}"`],
]

const sizes = [512, 4 * 1024, 45 * 1024, 1024 * 1024]
const RUNS = 7
const RUN_MS = 40

function nsPerOp(run: (body: Buffer) => string, body: Buffer): number {
  let ops = 0
  let sink = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(RUN_MS * 1e6)
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 16; i++) sink += run(body).length
    ops += 16
    now = process.hrtime.bigint()
  }
  if (sink === 0) throw new Error('unreachable')
  return Number(now - start) / ops
}

for (const size of sizes) {
  // A body rendered per run, never a constant V8 could keep in a flattering form.
  const body = Buffer.from(
    Array.from({ length: size }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 90))).join(''),
  )
  for (const [name, run] of candidates) {
    run(body)
    const samples = Array.from({ length: RUNS }, () => nsPerOp(run, body)).sort((a, b) => a - b)
    const median = samples[Math.floor(RUNS / 2)]!
    console.log(`${String(size).padStart(8)} B  ${name.padEnd(34)} ${median.toFixed(0).padStart(9)} ns/op`)
  }
}
