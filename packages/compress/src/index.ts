export type { CompressOptions } from './options.js'
export type { CodingLevels } from './codings.js'
export { negotiateEncoding, type Coding, type Negotiated } from './negotiate.js'
export { etagForCompressed } from './etag.js'
