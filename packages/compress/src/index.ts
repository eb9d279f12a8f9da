export { compress } from './compress.js'
export type { CompressOptions } from './options.js'
export type { CodingLevels } from './codings.js'
export { negotiateEncoding, type Coding, type Negotiated } from './negotiate.js'
export { etagForCompressed } from './etag.js'
export {
  precompressed,
  SIBLING_SUFFIX,
  type PrecompressedCoding,
  type PrecompressedOptions,
} from './precompressed.js'
