export { withBrisk, type NodeAdapterOptions, type NodeListener } from './with-brisk.js'
export { compileClientAddress, type ClientAddressOf, type TrustProxy } from './client-address.js'
export { brisk } from './request-context.js'
export type { BriskContext, CacheForOptions } from '@brisk/core'
