// Times zlib's synchronous vs asynchronous (thread-pool) compression of 1-64 KB HTML-like bodies
// at the dynamic defaults (brotli quality 4, gzip level 6), to pick the size below which the
// synchronous call is cheaper than the async round trip. Short on purpose: the machine is shared.
// Run: node packages/compress/bench/sync-vs-async.mjs  (prints the median of REPEATS runs, µs per call)
import zlib from 'node:zlib'
import { promisify } from 'node:util'

const REPEATS = 5
const ITERATIONS = 200
const SIZES = [1, 2, 4, 8, 16, 32, 64]

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)
const brotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }
const gzipOptions = { level: 6 }

function body(kb) {
  let text = ''
  let i = 0
  while (text.length < kb * 1024) {
    text += `<article id="p${i}"><h2>Post ${i} about ${(i * 7919) % 1000}</h2><p>Lorem ipsum ${Math.sin(i)}</p></article>\n`
    i++
  }
  return Buffer.from(text.slice(0, kb * 1024))
}

async function time(fn) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < ITERATIONS; i++) await fn()
  return Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]

console.log('size  br-sync  br-async  gz-sync  gz-async   (µs per call, median of', REPEATS, 'runs)')
for (const kb of SIZES) {
  const input = body(kb)
  const runs = { brSync: [], brAsync: [], gzSync: [], gzAsync: [] }
  for (let r = 0; r < REPEATS; r++) {
    runs.brSync.push(await time(() => zlib.brotliCompressSync(input, brotliOptions)))
    runs.brAsync.push(await time(() => brotli(input, brotliOptions)))
    runs.gzSync.push(await time(() => zlib.gzipSync(input, gzipOptions)))
    runs.gzAsync.push(await time(() => gzip(input, gzipOptions)))
  }
  const row = [runs.brSync, runs.brAsync, runs.gzSync, runs.gzAsync].map((v) =>
    median(v).toFixed(0).padStart(8),
  )
  console.log(`${String(kb).padStart(2)} KB ${row.join(' ')}`)
}
