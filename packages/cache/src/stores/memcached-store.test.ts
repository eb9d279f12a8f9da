import { randomBytes } from 'node:crypto'
import { BackendUnavailableError, BriskOptionError } from '@brisk/core'
import memjs from 'memjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMemcached, type MemcachedProcess } from '../../../../test/stores/memcached-server.js'
import { memcachedExpiry, memcachedStore, type MemcachedStore } from './memcached-store.js'
import { expectLoneSurrogateKeysApart } from '../../../../test/support/lone-surrogate-keys.js'

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
const body = (text: string) => Buffer.from(text)

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('memcachedStore', () => {
  let server: MemcachedProcess
  let store: MemcachedStore

  beforeAll(async () => {
    // -I 2m: the 1 MB body plus its header exceeds memcached's default 1 MB item limit.
    server = await startMemcached(['-I', '2m'])
    store = memcachedStore({ servers: server.servers, maxValueSize: '2 MB', timeout: '2s', logger: false })
  })

  afterAll(async () => {
    await store?.close?.()
    await server?.stop()
  })

  it.each<[string, Buffer]>([
    ['all 256 byte values', allBytes],
    ['an empty body', Buffer.alloc(0)],
    ['a 1 MB body', randomBytes(1024 * 1024)],
  ])('round-trips %s unchanged', async (what, bytes) => {
    await store.set(`binary:${what}`, { meta: {}, body: bytes }, { ttl: 60_000 })
    expect((await store.get(`binary:${what}`))?.body.equals(bytes)).toBe(true)
  })

  it('round-trips metadata, tags and expiry', async () => {
    const meta = { status: 200, headers: { vary: 'accept-encoding', 'x-name': 'résumé' } }
    const before = Date.now()
    await store.set('meta', { meta, body: body('x') }, { ttl: 60_000, tags: ['a'] })
    const entry = await store.get('meta')
    expect(entry?.meta).toEqual(meta)
    expect(entry?.tags).toEqual(['a'])
    expect(entry?.expiresAt).toBeGreaterThanOrEqual(before + 60_000)
  })

  it('keeps keys and tags apart that differ only in lone surrogates, which UTF-8 would merge', () =>
    expectLoneSurrogateKeysApart(store))

  it('answers a miss for an absent key', async () => {
    expect(await store.get('absent')).toBeUndefined()
  })

  it('stores keys longer than memcached allows under a hash', async () => {
    const long = `/search?q=${'x'.repeat(400)}`
    await store.set(long, { meta: {}, body: body('long') }, { ttl: 60_000 })
    expect((await store.get(long))?.body.toString()).toBe('long')
    expect(await store.get(`/search?q=${'x'.repeat(399)}y`)).toBeUndefined()
  })

  it('treats an entry as gone once its millisecond TTL has passed, though memcached counts seconds', async () => {
    await store.set('short', { meta: {}, body: body('x') }, { ttl: 20 })
    await until(async () => (await store.get('short')) === undefined, 'the entry to expire')
  })

  it('lets memcached drop the entry itself after the TTL rounded up to seconds', async () => {
    const raw = memjs.Client.create(server.servers, { logger: { log() {} } })
    try {
      await store.set('rounded', { meta: {}, body: body('x') }, { ttl: 1 })
      expect((await raw.get('brisk:e:rounded')).value).not.toBeNull()
      await until(async () => (await raw.get('brisk:e:rounded')).value === null, 'memcached to expire it')
    } finally {
      raw.close()
    }
  })

  it('deletes one key', async () => {
    await store.set('gone', { meta: {}, body: body('x') }, { ttl: 60_000 })
    await store.delete('gone')
    expect(await store.get('gone')).toBeUndefined()
  })

  it('purges every entry with a tag, and only those, without touching them', async () => {
    await store.set('t:a', { meta: {}, body: body('a') }, { ttl: 60_000, tags: ['post:1', 'list'] })
    await store.set('t:b', { meta: {}, body: body('b') }, { ttl: 60_000, tags: ['post:2', 'list'] })
    await store.set('t:c', { meta: {}, body: body('c') }, { ttl: 60_000, tags: ['post:1'] })
    await store.deleteByTag('post:1')
    expect(await store.get('t:a')).toBeUndefined()
    expect(await store.get('t:c')).toBeUndefined()
    expect((await store.get('t:b'))?.body.toString()).toBe('b')
  })

  it('stores new entries with a purged tag again after the purge', async () => {
    await store.set('again', { meta: {}, body: body('old') }, { ttl: 60_000, tags: ['again'] })
    await store.deleteByTag('again')
    await store.set('again', { meta: {}, body: body('new') }, { ttl: 60_000, tags: ['again'] })
    expect((await store.get('again'))?.body.toString()).toBe('new')
  })

  it('never revives a purged entry when its tag generation is recreated by a later write', async () => {
    await store.set('old-gen', { meta: {}, body: body('old') }, { ttl: 60_000, tags: ['gen'] })
    await store.deleteByTag('gen')
    await store.set('new-gen', { meta: {}, body: body('new') }, { ttl: 60_000, tags: ['gen'] })
    expect(await store.get('old-gen')).toBeUndefined()
    expect(await store.get('new-gen')).toBeDefined()
  })

  it('clears every entry of the store, and only of this prefix', async () => {
    const other = memcachedStore({ servers: server.servers, prefix: 'other:', timeout: '2s', logger: false })
    try {
      await store.set('c1', { meta: {}, body: body('x') }, { ttl: 60_000 })
      await other.set('c1', { meta: {}, body: body('kept') }, { ttl: 60_000 })
      await store.clear()
      expect(await store.get('c1')).toBeUndefined()
      expect((await other.get('c1'))?.body.toString()).toBe('kept')
      await store.set('c1', { meta: {}, body: body('after') }, { ttl: 60_000 })
      expect((await store.get('c1'))?.body.toString()).toBe('after')
    } finally {
      await other.close?.()
    }
  })

  it('does not store a value above maxValueSize, and drops the older one', async () => {
    const small = memcachedStore({
      servers: server.servers,
      maxValueSize: '1 KB',
      timeout: '2s',
      logger: false,
    })
    try {
      await small.set('big', { meta: {}, body: body('small') }, { ttl: 60_000 })
      await small.set('big', { meta: {}, body: Buffer.alloc(2048) }, { ttl: 60_000 })
      expect(await small.get('big')).toBeUndefined()
    } finally {
      await small.close?.()
    }
  })

  it('gives a contended lock to exactly one of many concurrent callers', async () => {
    const attempts = await Promise.all(Array.from({ length: 20 }, () => store.lock('contended', 10_000)))
    const winners = attempts.filter((release) => release !== undefined)
    expect(winners).toHaveLength(1)
    await winners[0]!()
  })

  it('gives a lock to one holder at a time', async () => {
    const release = await store.lock('render', 10_000)
    expect(release).toBeTypeOf('function')
    expect(await store.lock('render', 10_000)).toBeUndefined()
    await release!()
    await release!()
    const again = await store.lock('render', 10_000)
    expect(again).toBeTypeOf('function')
    await again!()
  })

  it('never deletes a lock that expired and was taken by another holder while the release was on its way', async () => {
    // Memcached expires in whole seconds; expiry is stood in for by deleting the key, and the
    // window is made certain by holding the releasing delete until a rival holds the lock.
    const prefix = `race-${randomBytes(4).toString('hex')}:`
    const client = memjs.Client.create(server.servers, { retries: 0, logger: { log() {} } })
    const direct = memjs.Client.create(server.servers, { retries: 0, logger: { log() {} } })
    const holder = memcachedStore({ client, prefix, timeout: '2s', logger: false })
    const rival = memcachedStore({ servers: server.servers, prefix, timeout: '2s', logger: false })
    try {
      const release = await holder.lock('render', 10_000)
      expect(release).toBeTypeOf('function')
      let rivalRelease: (() => Promise<void>) | undefined
      const connection = client.servers[0]!
      const write = connection.write.bind(connection)
      connection.write = (blob: Uint8Array | string) => {
        const opcode = typeof blob === 'string' ? undefined : blob[1]
        // Binary protocol opcode 0x04: DELETE. The lock expires and is taken before it lands.
        if (opcode !== 0x04) return write(blob)
        connection.write = write
        void direct
          .delete(`${prefix}l:render`)
          .then(() => rival.lock('render', 10_000))
          .then((taken) => {
            rivalRelease = taken
            write(blob)
          })
      }
      await release!()
      expect(rivalRelease).toBeTypeOf('function')
      // The rival's lock survived the late release: nobody else can take it.
      expect(await holder.lock('render', 10_000)).toBeUndefined()
      await rivalRelease!()
      const again = await holder.lock('render', 10_000)
      expect(again).toBeTypeOf('function')
      await again!()
    } finally {
      await holder.close?.()
      await rival.close?.()
      client.close()
      direct.close()
    }
  })

  it('rejects with BackendUnavailableError while memcached is down and serves again after a restart', async () => {
    const fragile = memcachedStore({ servers: server.servers, timeout: 500, resetTimeout: 20, logger: false })
    try {
      await fragile.set('k', { meta: {}, body: body('x') }, { ttl: 60_000 })
      await server.stop()
      for (const operation of [
        () => fragile.get('k'),
        () => fragile.set('k', { meta: {}, body: body('y') }, { ttl: 60_000, tags: ['t'] }),
        () => fragile.deleteByTag('t'),
      ]) {
        await expect(operation()).rejects.toBeInstanceOf(BackendUnavailableError)
      }
      await server.restart()
      await until(
        async () =>
          fragile.get('k').then(
            () => true,
            () => false,
          ),
        'the store to recover',
      )
      // A restarted memcached is empty: the store generation is gone, so nothing old is served.
      expect(await fragile.get('k')).toBeUndefined()
      await fragile.set('k', { meta: {}, body: body('after') }, { ttl: 60_000 })
      expect((await fragile.get('k'))?.body.toString()).toBe('after')
    } finally {
      await fragile.close?.()
    }
  })
})

describe('memcachedStore lock on a server that keeps no CAS (memcached -C)', () => {
  let server: MemcachedProcess
  let store: MemcachedStore

  beforeAll(async () => {
    server = await startMemcached(['-C'])
    store = memcachedStore({ servers: server.servers, timeout: '2s', logger: false })
  })

  afterAll(async () => {
    await store?.close?.()
    await server?.stop()
  })

  it('still gives a lock to one holder at a time and frees it on release', async () => {
    const release = await store.lock('render', 10_000)
    expect(release).toBeTypeOf('function')
    expect(await store.lock('render', 10_000)).toBeUndefined()
    await release!()
    const again = await store.lock('render', 10_000)
    expect(again).toBeTypeOf('function')
    await again!()
  })

  it('leaves a lock another holder took after expiry when released late', async () => {
    const direct = memjs.Client.create(server.servers, { retries: 0, logger: { log() {} } })
    try {
      const release = await store.lock('late', 10_000)
      await direct.delete('brisk:l:late')
      const rival = await store.lock('late', 10_000)
      expect(rival).toBeTypeOf('function')
      await release!()
      expect(await store.lock('late', 10_000)).toBeUndefined()
      await rival!()
    } finally {
      direct.close()
    }
  })
})

describe('memcachedExpiry', () => {
  const now = 1_700_000_000_000
  it.each<[number, number]>([
    [0, 0],
    [1, 1],
    [60, 60],
    [2_592_000, 2_592_000],
    [2_592_001, 1_700_000_000 + 2_592_001],
  ])('%i s → %i', (seconds, expected) => {
    expect(memcachedExpiry(seconds, now)).toBe(expected)
  })
})

describe('memcachedStore options', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['neither servers nor client', () => memcachedStore({}), /servers/],
    ['an empty server list', () => memcachedStore({ servers: ' ' }), /servers/],
    ['a port that is not a number', () => memcachedStore({ servers: 'cache:notaport' }), /servers/],
    ['an empty entry in the list', () => memcachedStore({ servers: 'a:11211,,b:11211' }), /servers/],
    ['a port out of range', () => memcachedStore({ servers: 'cache:65536' }), /servers/],
    ['a client that is not memjs', () => memcachedStore({ client: {} as never }), /client/],
    ['an empty prefix', () => memcachedStore({ servers: '127.0.0.1:1', prefix: '' }), /prefix/],
    [
      'a zero maxValueSize',
      () => memcachedStore({ servers: '127.0.0.1:1', maxValueSize: 0 }),
      /maxValueSize/,
    ],
    ['a zero timeout', () => memcachedStore({ servers: '127.0.0.1:1', timeout: 0 }), /timeout/],
  ])('refuses %s at creation', (_what, create, message) => {
    expect(create).toThrow(BriskOptionError)
    expect(create).toThrow(message)
  })
})
