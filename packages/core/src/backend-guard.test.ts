import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { BackendGuard, BackendUnavailableError } from './backend-guard.js'
import { BriskMetrics } from './metrics.js'

function recordingLogger() {
  const lines: { level: string; msg?: string }[] = []
  const log = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg })
  return { lines, logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } }
}

describe('BackendGuard', () => {
  it('passes results through while the backend is healthy', async () => {
    const guard = new BackendGuard({ name: 'test', logger: false })
    await expect(guard.run(async () => 42)).resolves.toBe(42)
    expect(guard.state).toBe('closed')
  })

  it('turns a slow command into a timeout failure', async () => {
    const guard = new BackendGuard({ name: 'test', timeout: 5, logger: false })
    const never = new Promise<number>(() => {})
    await expect(guard.run(() => never)).rejects.toMatchObject({ reason: 'timeout' })
  })

  it('does not count a reply that waited unread while the event loop was busy as a timeout', async () => {
    // A backend that answers at once, over a real socket, while this process is blocked for
    // longer than the timeout (a burst of requests): the reply is there, only unread.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const accepted = once(server, 'connection') as Promise<[Socket]>
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
    const [[backend]] = await Promise.all([accepted, once(client, 'connect')])
    try {
      const guard = new BackendGuard({ name: 'test', timeout: 20, logger: false })
      const reply = () =>
        new Promise<string>((resolve) => client.once('data', (data: Buffer) => resolve(data.toString())))
      const answer = guard.run(reply)
      backend.write('pong')
      const blockedUntil = Date.now() + 100
      while (Date.now() < blockedUntil) {
        // busy: the timer and the reply both come due meanwhile
      }
      await expect(answer).resolves.toBe('pong')
    } finally {
      client.destroy()
      backend.destroy()
      server.close()
    }
  })

  it('wraps a failing command and keeps its cause', async () => {
    const guard = new BackendGuard({ name: 'test', logger: false })
    const cause = new Error('ECONNREFUSED')
    const error = await guard.run(() => Promise.reject(cause)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    expect((error as Error).cause).toBe(cause)
  })

  it('opens after the failure threshold, refuses without calling, probes once after the reset time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const guard = new BackendGuard({ name: 'test', failureThreshold: 3, resetTimeout: 1000, logger: false })
      const failing = vi.fn(() => Promise.reject(new Error('down')))
      for (let i = 0; i < 3; i++) await guard.run(failing).catch(() => {})
      expect(guard.state).toBe('open')
      await expect(guard.run(failing)).rejects.toMatchObject({ reason: 'circuit-open' })
      expect(failing).toHaveBeenCalledTimes(3)

      vi.setSystemTime(Date.now() + 1001)
      expect(guard.available).toBe(true)
      let release: (v: string) => void = () => {}
      const probe = guard.run(() => new Promise<string>((resolve) => (release = resolve)))
      expect(guard.state).toBe('half-open')
      // Commands arriving during the probe wait for it: the backend is back, so they run.
      const healthy = vi.fn(() => Promise.resolve('later'))
      const waiting = [guard.run(healthy), guard.run(healthy)]
      expect(healthy).not.toHaveBeenCalled()
      release('ok')
      await expect(probe).resolves.toBe('ok')
      await expect(Promise.all(waiting)).resolves.toEqual(['later', 'later'])
      expect(healthy).toHaveBeenCalledTimes(2)
      expect(guard.state).toBe('closed')
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses the commands that waited on a probe that failed, without calling them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const guard = new BackendGuard({ name: 'test', failureThreshold: 1, resetTimeout: 1000, logger: false })
      await guard.run(() => Promise.reject(new Error('down'))).catch(() => {})
      vi.setSystemTime(Date.now() + 1001)
      let fail: (error: Error) => void = () => {}
      const probe = guard.run(() => new Promise<string>((_resolve, reject) => (fail = reject)))
      const other = vi.fn(() => Promise.resolve('never'))
      const waiting = guard.run(other)
      fail(new Error('still down'))
      await expect(probe).rejects.toMatchObject({ reason: 'error' })
      await expect(waiting).rejects.toMatchObject({ reason: 'circuit-open' })
      expect(other).not.toHaveBeenCalled()
      expect(guard.state).toBe('open')
    } finally {
      vi.useRealTimers()
    }
  })

  it('logs one line when an incident starts and one when it ends, not one per failure', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const { lines, logger } = recordingLogger()
      const metrics = new BriskMetrics()
      const guard = new BackendGuard({
        name: 'redis',
        failureThreshold: 1000,
        quietPeriod: 5000,
        logger,
        metrics,
      })
      for (let i = 0; i < 50; i++) await guard.run(() => Promise.reject(new Error('down'))).catch(() => {})
      await guard.run(async () => 'ok')
      expect(lines.map((l) => l.level)).toEqual(['warn'])
      vi.setSystemTime(Date.now() + 5000)
      for (let i = 0; i < 10; i++) await guard.run(async () => 'ok')
      expect(lines.map((l) => l.level)).toEqual(['warn', 'info'])
      expect(metrics.get('backend.error')).toBe(50)
      expect(metrics.get('backend.incident')).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps a half-working backend (successes between failures) one incident', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const { lines, logger } = recordingLogger()
      const metrics = new BriskMetrics()
      const guard = new BackendGuard({ name: 'redis', quietPeriod: 5000, logger, metrics })
      for (let i = 0; i < 100; i++) {
        await guard.run(async () => 'read')
        await guard.run(() => Promise.reject(new Error('OOM'))).catch(() => {})
        vi.setSystemTime(Date.now() + 100)
      }
      expect(lines.map((l) => l.level)).toEqual(['warn'])
      expect(metrics.get('backend.incident')).toBe(1)
      expect(guard.state).toBe('closed')
      vi.setSystemTime(Date.now() + 5000)
      await guard.run(async () => 'read')
      expect(lines.map((l) => l.level)).toEqual(['warn', 'info'])
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses bad options at creation', () => {
    expect(() => new BackendGuard({ name: 'x', timeout: 0 })).toThrow(/timeout/)
    expect(() => new BackendGuard({ name: 'x', failureThreshold: 0 })).toThrow(/failureThreshold/)
  })
})
