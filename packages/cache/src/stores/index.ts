export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export { redisStore, type RedisStore, type RedisStoreOptions } from './redis-store.js'
export type { RedisClient } from './redis-scripts.js'
export {
  tieredStore,
  type InvalidationEvent,
  type TieredStore,
  type TieredStoreOptions,
} from './tiered-store.js'
export {
  memcachedStore,
  type MemcachedClient,
  type MemcachedStore,
  type MemcachedStoreOptions,
} from './memcached-store.js'
