import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// The harness end to end on its smallest HTTP scenario (three variants, one-second rounds): the
// rounds run the variants interleaved A B C A B C …, each round on fresh server processes, every
// variant gets each of its rounds, and the three reports are written. Figures are not judged here; speed is the benchmark's business.

const RUN = fileURLToPath(new URL('../../bench/src/run.ts', import.meta.url))
const outDirs: string[] = []

afterAll(async () => {
  await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    // NODE_OPTIONS reaches the harness's own children too, so its servers load brisk from its
    // sources as the rest of the suite does (a fresh clone has no build before `npm test`).
    const child = spawn(process.execPath, ['--import', 'tsx', RUN, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=brisk-source` },
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout }))
  })
}

describe('the bench harness (bench/src/run.ts)', () => {
  it('interleaves the variants round by round, each round on fresh servers, and writes the three reports', async () => {
    const out = await mkdtemp(join(tmpdir(), 'brisk-bench-run-'))
    outDirs.push(out)
    const { code, stdout } = await runBench([
      '--only',
      'compress-koa3-gzip',
      '--duration',
      '1',
      '--warmup',
      '0',
      '--repeats',
      '3',
      '--out',
      out,
    ])
    expect(code).toBe(0)

    const order = [...stdout.matchAll(/round (\d)\/3 ([\w-]+):/g)].map((m) => `${m[1]} ${m[2]}`)
    const variants = ['identity', 'brisk', 'koa-compress']
    expect(order).toEqual([1, 2, 3].flatMap((round) => variants.map((id) => `${round} ${id}`)))
    const servers = [...stdout.matchAll(/warm-up ([\w-]+) \(server pid (\d+)\)/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    )
    expect(servers).toHaveLength(9)
    expect(new Set(servers).size).toBe(9)

    const report = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as {
      scenarios: { name: string; variants: { id: string; rounds: number[]; perSecond?: number }[] }[]
    }
    const scenario = report.scenarios.find((s) => s.name === 'compress-koa3-gzip')!
    expect(scenario.variants.map((v) => v.id)).toEqual(variants)
    for (const variant of scenario.variants) {
      expect(variant.rounds).toHaveLength(3)
      expect(variant.perSecond).toBeGreaterThan(0)
    }
    expect(await readFile(join(out, 'latest.md'), 'utf8')).toContain('### `compress-koa3-gzip`')
    expect(await readFile(join(out, 'latest.svg'), 'utf8')).toMatch(/^<svg/)
  }, 120_000)
})
