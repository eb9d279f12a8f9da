/** The data cache as users import it: from the package root, on the stores the package ships. */
import { createDataCache, DataCacheSerializeError, DataCacheTimeoutError, memoryStore } from '@brisk/cache'
import { describe, expect, it } from 'vitest'

describe('@brisk/cache data cache exports', () => {
  it('creates a data cache over a memory store from the package root', async () => {
    const cache = createDataCache({ store: memoryStore(), logger: false })
    expect(await cache.getOrSet('answer', () => 42)).toBe(42)
    expect(await cache.namespace('ns').getOrSet('answer', () => 43)).toBe(43)
  })

  it('exports the errors a caller may want to tell apart', () => {
    expect(new DataCacheTimeoutError('k', 10)).toBeInstanceOf(Error)
    expect(new DataCacheSerializeError('k', 'json-v8', new Error('x'))).toBeInstanceOf(TypeError)
  })
})
