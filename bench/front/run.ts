/**
 * Front-mode hit path, issue 12: `node --conditions=brisk-source --import tsx bench/front/run.ts
 * [--duration 5] [--repeats 3] [--groups front,middleware] [--profile express-front]`.
 *
 * Servers are pinned to core 0 and autocannon to core 1 (taskset), interleaved A B C A B C, one
 * warm-up run per server before its measured run (the cached kinds then answer hits only).
 * Medians per kind and ratios inside each group, measured in the same run only: the machine is
 * shared and noisy, so absolute figures mean little across runs.
 * `--profile <kind>` starts that kind with `node --cpu-prof` (the .cpuprofile lands in
 * bench/front/profiles/) for one measured run instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kind } from './server.js'

const here = dirname(fileURLToPath(import.meta.url))
const autocannonBin = join(
  dirname(createRequire(import.meta.url).resolve('autocannon/package.json')),
  'autocannon.js',
)

/** Groups measured together: the ratios issue 12 sets targets for. */
const GROUPS: Record<string, { kinds: Kind[]; ratios: Array<[Kind, Kind, number]> }> = {
  front: {
    kinds: ['raw', 'express-front', 'express-apicache', 'koa-front'],
    ratios: [
      ['express-front', 'express-apicache', 2.5],
      ['express-front', 'raw', 0.9],
      ['koa-front', 'raw', 0.9],
    ],
  },
  middleware: {
    kinds: ['express-ceiling', 'express-middleware', 'koa-ceiling', 'koa-middleware'],
    ratios: [
      ['express-middleware', 'express-ceiling', 0.95],
      ['koa-middleware', 'koa-ceiling', 0.95],
    ],
  },
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback)
}

const duration = Number(option('duration', '5'))
const repeats = Number(option('repeats', '3'))
const groups = option('groups', 'front,middleware').split(',')
const profile = option('profile', '')
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0
const pin = (core: number, command: string[]): string[] =>
  pinned ? ['taskset', '-c', String(core), ...command] : command

async function startServer(kind: Kind, port: number, cpuProf: boolean): Promise<ChildProcess> {
  const profDir = join(here, 'profiles')
  if (cpuProf) mkdirSync(profDir, { recursive: true })
  const args = [
    process.execPath,
    ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    '--conditions=brisk-source',
    '--import',
    'tsx',
    join(here, 'server.ts'),
    kind,
    String(port),
  ]
  const [command, ...rest] = pin(0, args)
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer]
  if (!chunk.toString().includes('ready')) throw new Error(`${kind} did not start`)
  return child
}

async function load(port: number, seconds: number): Promise<number> {
  const [command, ...rest] = pin(1, [
    process.execPath,
    autocannonBin,
    '--json',
    '-c',
    '50',
    '-d',
    String(seconds),
    `http://127.0.0.1:${port}/`,
  ])
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  await once(child, 'exit')
  const result = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number }
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`failed requests on port ${port}`)
  return result.requests.average
}

async function measure(kind: Kind, port: number, cpuProf = false): Promise<number> {
  const server = await startServer(kind, port, cpuProf)
  try {
    await load(port, 1) // warm-up: JIT, and the cache holds the page
    return await load(port, duration)
  } finally {
    server.kill('SIGTERM')
    await once(server, 'exit')
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

let port = 41_000 + Math.floor(Math.random() * 2000)
if (profile !== '') {
  const rate = await measure(profile as Kind, port, true)
  console.log(`${profile}: ${rate.toFixed(0)} req/s under --cpu-prof; profile in ${join(here, 'profiles')}`)
} else {
  console.log(
    `${pinned ? 'servers on core 0, autocannon on core 1' : 'taskset unavailable, not pinned'}; ${repeats} × ${duration} s`,
  )
  for (const name of groups) {
    const group = GROUPS[name]
    if (group === undefined) throw new Error(`unknown group ${name}`)
    const rates = new Map<Kind, number[]>(group.kinds.map((kind) => [kind, []]))
    for (let round = 0; round < repeats; round++) {
      for (const kind of group.kinds) rates.get(kind)!.push(await measure(kind, port++))
    }
    console.log(`\n## ${name}`)
    for (const [kind, values] of rates) {
      console.log(
        `${kind.padEnd(20)} median ${median(values).toFixed(0).padStart(7)} req/s  (${values.map((v) => v.toFixed(0)).join(', ')})`,
      )
    }
    for (const [a, b, target] of group.ratios) {
      const ratio = median(rates.get(a)!) / median(rates.get(b)!)
      console.log(
        `${a} / ${b} = ${ratio.toFixed(2)} (target ≥ ${target}) ${ratio >= target ? 'met' : 'NOT met'}`,
      )
    }
  }
}
