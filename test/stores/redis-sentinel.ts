/**
 * Starts a throwaway Redis master and one Sentinel monitoring it (redis-server in sentinel
 * mode) on free loopback ports, to show that a Sentinel-configured ioredis client works with
 * the Redis store as it is. Stops only what it started.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, redisCommand, startRedisServer, type RedisProcess } from '../support/redis-server.js'

export interface RedisSentinel {
  master: RedisProcess
  /** `{ host, port }` of the sentinel, for ioredis' `sentinels` option. */
  sentinels: { host: string; port: number }[]
  /** The monitored master's name, for ioredis' `name` option. */
  name: string
  stop(): Promise<void>
}

export async function startRedisSentinel(name = 'brisk-master'): Promise<RedisSentinel> {
  const master = await startRedisServer()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'brisk-sentinel-'))
  const config = join(dir, 'sentinel.conf')
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${name} 5000`,
    ].join('\n') + '\n',
  )
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' })
  child.once('error', () => {})
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await exited
    }
    await master.stop()
  }
  try {
    for (let i = 0; ; i++) {
      const reply = await redisCommand(port, `SENTINEL get-master-addr-by-name ${name}`).catch(() => '')
      if (reply.startsWith('*2')) break
      if (i >= 200) throw new Error(`timed out waiting for sentinel on ${port}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { master, sentinels: [{ host: '127.0.0.1', port }], name, stop }
}
