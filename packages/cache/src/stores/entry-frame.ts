/**
 * The binary frame a remote store keeps per entry, so that a hit is one GET of one value and
 * the body is never base64 or JSON: the body bytes follow a small header as they are, and a
 * decoded body is a view into the received buffer, not a copy.
 *
 *   offset 0   uint8    frame version (1)
 *   offset 1   uint32BE length of the header JSON in bytes
 *   offset 5   float64BE expiresAt, ms since the epoch (0 = no expiry)
 *   offset 13  header JSON (UTF-8)
 *   then       body bytes
 */
const FRAME_VERSION = 1
const FIXED_BYTES = 13

export interface DecodedFrame {
  /** The parsed header JSON (the store decides its shape). */
  header: unknown
  /** Absolute expiry in ms since the epoch, or undefined when the entry does not expire. */
  expiresAt: number | undefined
  /** The body: a view into the frame. */
  body: Buffer
}

/** Encodes one entry; throws a TypeError when `header` is not JSON-serializable. */
export function encodeFrame(header: unknown, expiresAt: number | undefined, body: Buffer): Buffer {
  const json = JSON.stringify(header)
  if (json === undefined) throw new TypeError('brisk: store entry metadata is not JSON-serializable')
  const headerBytes = Buffer.byteLength(json)
  const frame = Buffer.allocUnsafe(FIXED_BYTES + headerBytes + body.byteLength)
  frame.writeUInt8(FRAME_VERSION, 0)
  frame.writeUInt32BE(headerBytes, 1)
  frame.writeDoubleBE(expiresAt ?? 0, 5)
  frame.write(json, FIXED_BYTES, 'utf8')
  body.copy(frame, FIXED_BYTES + headerBytes)
  return frame
}

/**
 * Decodes a frame; undefined when it is not one this version wrote (truncated, foreign or from
 * a future format), which callers treat as a miss rather than an error.
 */
export function decodeFrame(frame: Buffer): DecodedFrame | undefined {
  if (frame.byteLength < FIXED_BYTES || frame.readUInt8(0) !== FRAME_VERSION) return undefined
  const headerBytes = frame.readUInt32BE(1)
  const bodyStart = FIXED_BYTES + headerBytes
  if (bodyStart > frame.byteLength) return undefined
  const expiresAt = frame.readDoubleBE(5)
  let header: unknown
  try {
    header = JSON.parse(frame.toString('utf8', FIXED_BYTES, bodyStart))
  } catch {
    return undefined
  }
  return { header, expiresAt: expiresAt > 0 ? expiresAt : undefined, body: frame.subarray(bodyStart) }
}
