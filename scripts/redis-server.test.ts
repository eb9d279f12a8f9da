import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { pdeathsigWorks, redisCommand, redisServerInstalled, startRedisServer } from './redis-server.js'

// The launcher the tests and the bench share: real redis-server processes. CI installs
// redis-server, so there this runs; elsewhere it says why it skips.
const installed = redisServerInstalled()
if (!installed && process.env.CI !== undefined) throw new Error('redis-server is not installed')

const canPinToCore1 = (): boolean =>
  availableParallelism() >= 2 && spawnSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' }).status === 0

describe.skipIf(!installed)('startRedisServer', () => {
  it('starts a server that answers on loopback, pinned to the core asked for, and stops it', async () => {
    const pin = canPinToCore1()
    const server = await startRedisServer({ core: pin ? 1 : undefined })
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`)
      expect(await redisCommand(server.port, 'PING')).toBe('+PONG\r\n')
      if (pin) {
        expect(readFileSync(`/proc/${server.pid}/status`, 'utf8')).toMatch(/^Cpus_allowed_list:\s*1$/m)
      }
    } finally {
      await server.dispose()
    }
    await expect(redisCommand(server.port, 'PING')).rejects.toThrow()
  })

  it('restarts on the same port and directory after a stop, and dispose removes the directory', async () => {
    const server = await startRedisServer()
    try {
      await redisCommand(server.port, 'SET kept 1')
      // redis-server works in its --dir.
      const dir = readlinkSync(`/proc/${server.pid}/cwd`)
      expect(dir).toBe(realpathSync(server.dir))
      expect(existsSync(dir)).toBe(true)
      const first = server.pid
      await server.stop()
      await expect(redisCommand(server.port, 'PING')).rejects.toThrow()
      await server.restart()
      expect(await redisCommand(server.port, 'PING')).toBe('+PONG\r\n')
      expect(server.pid).not.toBe(first)
      // Nothing is saved: a restarted server starts empty.
      expect(await redisCommand(server.port, 'EXISTS kept')).toBe(':0\r\n')
      await server.dispose()
      expect(existsSync(dir)).toBe(false)
    } finally {
      await server.dispose()
    }
  })

  it('rejects at once, saying so, when the server exits before answering, and leaves nothing behind', async () => {
    // A temporary directory of this test's own, so servers other test files start meanwhile
    // cannot show up in it.
    const own = mkdtempSync(join(tmpdir(), 'brisk-launcher-test-'))
    const previous = process.env.TMPDIR
    process.env.TMPDIR = own
    try {
      await expect(startRedisServer({ flags: ['--no-such-directive', 'x'] })).rejects.toThrow(
        /exited \(code 1\) before answering/,
      )
      expect(readdirSync(own)).toEqual([])
    } finally {
      if (previous === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = previous
      rmSync(own, { recursive: true, force: true })
    }
  })

  it.skipIf(!pdeathsigWorks())('is killed with the process that started it, however it dies', async () => {
    const launcher = fileURLToPath(new URL('./redis-server.ts', import.meta.url))
    const parent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startRedisServer } = await import(${JSON.stringify(launcher)}); ` +
          'const server = await startRedisServer(); console.log(server.pid, server.dir); setInterval(() => {}, 1000)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    // Nobody is left to remove the killed parent's server directory but this test.
    let dir: string | undefined
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (chunk: Buffer) => {
          const [started, directory] = chunk.toString().trim().split(' ')
          dir = directory
          resolve(Number(started))
        })
        parent.once('exit', (code) => reject(new Error(`parent exited (${code}) before starting Redis`)))
      })
      expect(alive(pid)).toBe(true)
      const exited = new Promise((resolve) => parent.once('exit', resolve))
      parent.kill('SIGKILL')
      await exited
      // The kernel delivers the death signal as the parent exits; the server is gone moments later.
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(alive(pid)).toBe(false)
    } finally {
      parent.kill('SIGKILL')
      if (dir?.startsWith(tmpdir())) rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Whether `pid` runs: a zombie (killed, not yet reaped by whoever adopted it) does not. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}
