/**
 * For the remote cache stores' tests: keys and tags that differ only in lone surrogates (text
 * cut in the middle of an emoji) stay apart, although UTF-8 would make them one byte string.
 */
import type { CacheStore } from '@brisk/cache'
import { expect } from 'vitest'

export async function expectLoneSurrogateKeysApart(store: CacheStore): Promise<void> {
  const keys = ['user:\ud800', 'user:\udbff', 'user:\ufffd']
  for (const [i, key] of keys.entries()) {
    await store.set(key, { meta: {}, body: Buffer.from(`value ${i}`) }, { ttl: 60_000, tags: [key] })
  }
  for (const [i, key] of keys.entries()) expect((await store.get(key))?.body.toString()).toBe(`value ${i}`)
  await store.deleteByTag('user:\udbff')
  expect(await store.get('user:\udbff')).toBeUndefined()
  expect((await store.get('user:\ud800'))?.body.toString()).toBe('value 0')
}
