import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { batchWrites, COMMANDS_PER_WRITE } from './batch-writes.js'

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('batchWrites', () => {
  it("holds a client's socket writes until the check phase, corking it once per turn", async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const accepted = once(server, 'connection') as Promise<[Socket]>
    const stream = connect((server.address() as AddressInfo).port, '127.0.0.1')
    const [[peer]] = await Promise.all([accepted, once(stream, 'connect')])
    try {
      const received: Buffer[] = []
      peer.on('data', (chunk: Buffer) => received.push(chunk))
      const client = { stream }
      for (const command of ['PING\r\n', 'GET a\r\n', 'GET b\r\n']) {
        batchWrites(client)
        stream.write(command)
      }
      expect(stream.writableCorked).toBe(1)
      await nextCheckPhase()
      expect(stream.writableCorked).toBe(0)
      while (Buffer.concat(received).length < 20) await once(peer, 'data')
      expect(Buffer.concat(received).toString()).toBe('PING\r\nGET a\r\nGET b\r\n')
    } finally {
      stream.destroy()
      peer.destroy()
      server.close()
    }
  })

  it('lets the held commands go out every COMMANDS_PER_WRITE commands, and the rest at the check phase', async () => {
    const calls: string[] = []
    const stream = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') }
    const commands = COMMANDS_PER_WRITE * 2 + 3
    for (let i = 0; i < commands; i++) {
      batchWrites({ stream })
      calls.push('command')
    }
    const write = Array<string>(COMMANDS_PER_WRITE).fill('command')
    const beforeCheck = [
      'cork',
      ...write,
      'uncork',
      'cork',
      ...write,
      'uncork',
      'cork',
      'command',
      'command',
      'command',
    ]
    expect(calls).toEqual(beforeCheck)
    await nextCheckPhase()
    expect(calls).toEqual([...beforeCheck, 'uncork'])
    // The next turn starts a write of its own.
    batchWrites({ stream })
    expect(calls.at(-1)).toBe('cork')
    await nextCheckPhase()
    expect(calls.at(-1)).toBe('uncork')
  })

  it('leaves clients without one socket (a Cluster) and odd values alone', () => {
    expect(() => batchWrites({})).not.toThrow()
    expect(() => batchWrites({ stream: null })).not.toThrow()
    expect(() => batchWrites(undefined)).not.toThrow()
  })
})
