// Time and ratio of brotli qualities 1-11 and gzip levels 1-9 on a 45 KB HTML-like page (the
// size of the example blog's index), (READMEs of installed packages wrapped in markup), to pick the dynamic defaults and check the stored ones.
// Run: node packages/compress/bench/levels.mjs  (median of REPEATS runs, µs per call)
import zlib from 'node:zlib'

const REPEATS = 5
const ITERATIONS = 20

// Real prose and markup rather than a generated loop, which compresses unrealistically well.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
const modules = fileURLToPath(new URL('../../../node_modules/', import.meta.url))
const sources = ['express', 'koa', 'negotiator', 'ioredis', 'lru-cache', 'vitest', 'pino', 'supertest']
let text = ''
for (const name of sources) {
  const dir = `${modules}${name}/`
  try {
    text += `<section><h2>${name}</h2><pre>${readFileSync(`${dir}README.md`, 'utf8')}</pre></section>\n`
  } catch {
    // a package without a README adds nothing
  }
}
const input = Buffer.from(text.slice(0, 45 * 1024))
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]

function measure(label, fn) {
  const runs = []
  let size = 0
  for (let r = 0; r < REPEATS; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < ITERATIONS; i++) size = fn().length
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS)
  }
  console.log(
    `${label.padEnd(10)} ${median(runs).toFixed(0).padStart(7)} µs  ${String(size).padStart(6)} B  ratio ${(input.length / size).toFixed(2)}`,
  )
}

console.log(`input ${input.length} B`)
for (const q of [1, 3, 4, 5, 6, 9, 11]) {
  measure(`br q${q}`, () =>
    zlib.brotliCompressSync(input, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: q,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: input.length,
      },
    }),
  )
}
for (const level of [1, 4, 6, 9]) measure(`gzip ${level}`, () => zlib.gzipSync(input, { level }))
