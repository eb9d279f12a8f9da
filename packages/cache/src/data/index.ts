export {
  createDataCache,
  DataCache,
  DataCacheNamespace,
  NAMESPACE_TAG_PREFIX,
  type DataFactory,
  type WrapOptions,
} from './data-cache.js'
export type { DataCacheOptions, DataCallOptions, GetOrSetOptions } from './options.js'
export {
  DataCacheSerializeError,
  jsonOrV8Serializer,
  jsonSerializer,
  v8Serializer,
  type DataSerializer,
} from './serializer.js'
export { DataCacheTimeoutError } from './timeout.js'
