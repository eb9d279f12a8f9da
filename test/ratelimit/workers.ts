import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { PolicyOptions } from '@brisk/ratelimit'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

export interface WorkerRun {
  url?: string
  cluster?: { host: string; port: number }[]
  prefix: string
  key: string
  requests: number
  policies: PolicyOptions[]
}

/** Starts `count` node processes, releases them together, and sums what each let through. */
export async function runWorkers(
  count: number,
  run: WorkerRun,
): Promise<{ allowed: number; limited: number }> {
  const children: ChildProcess[] = []
  const lines: Promise<string>[][] = []
  try {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, ['--conditions=brisk-source', '--import', 'tsx', WORKER], {
        env: { ...process.env, RATELIMIT_WORKER: JSON.stringify(run) },
        stdio: ['pipe', 'pipe', 'inherit'],
      })
      children.push(child)
      lines.push(readLines(child, 2))
    }
    await Promise.all(lines.map((l) => l[0]))
    for (const child of children) child.stdin?.write('go\n')
    const results = await Promise.all(lines.map((l) => l[1]!))
    return results
      .map((line) => JSON.parse(line) as { allowed: number; limited: number })
      .reduce((sum, r) => ({ allowed: sum.allowed + r.allowed, limited: sum.limited + r.limited }))
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill()
  }
}

/** Promises for the first `n` stdout lines of a child; rejects if it exits before. */
function readLines(child: ChildProcess, n: number): Promise<string>[] {
  const resolvers: { resolve: (line: string) => void; reject: (error: Error) => void }[] = []
  const promises = Array.from(
    { length: n },
    () => new Promise<string>((resolve, reject) => resolvers.push({ resolve, reject })),
  )
  let buffer = ''
  let index = 0
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    let newline = buffer.indexOf('\n')
    while (newline !== -1 && index < n) {
      resolvers[index++]!.resolve(buffer.slice(0, newline))
      buffer = buffer.slice(newline + 1)
      newline = buffer.indexOf('\n')
    }
  })
  child.once('exit', (code) => {
    for (let i = index; i < n; i++)
      resolvers[i]!.reject(new Error(`worker exited (${code}) before line ${i + 1}`))
  })
  return promises
}
