import Negotiator from 'negotiator'

/** A content coding brisk can produce (RFC 9110 §8.4.1). */
export type Coding = 'br' | 'zstd' | 'gzip' | 'deflate'

/**
 * The outcome of negotiating `Accept-Encoding`: a coding to apply, `identity` (send the
 * representation as it is), or `null` when the client accepts none of the offered codings and
 * explicitly refuses identity (RFC 9110 §12.5.3: the server may then answer 406).
 */
export type Negotiated = Coding | 'identity' | null

// negotiator 1.x takes the server's preference for ties; @types/negotiator (0.6) predates it.
interface RankingNegotiator {
  encodings(available: readonly string[], options: { preferred: readonly string[] }): string[]
}

// Longer values are not a browser's; parsing them is wasted work (and a cheap DoS lever).
const MAX_HEADER_LENGTH = 4096
// RFC 9110 §12.4.2 qvalue: 0 to 1 with at most three decimals.
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/
const Q_PARAMETER = /;\s*q\s*=\s*([^;]*)/i

/**
 * Drops members whose q is not a qvalue (`gzip;q=-1`, `br;q=x`): RFC 9110 has no meaning for
 * them, so they are ignored like any unparseable member. negotiator would otherwise keep the
 * number and give the implicit identity the lowest q it saw, refusing identity (a 406) for a
 * client that never refused it.
 */
function dropInvalidQValues(header: string): string {
  if (!/q\s*=/i.test(header)) return header
  return header
    .split(',')
    .filter((member) => {
      const q = Q_PARAMETER.exec(member)
      const value = (q?.[1] ?? '').trim()
      // An empty `q=` stays: negotiator reads it as q=1, the permissive reading.
      return value === '' || QVALUE.test(value)
    })
    .join(',')
}

/**
 * Picks the content coding for a response from the request's `Accept-Encoding` value,
 * following RFC 9110 §12.5.3:
 *
 * - absent header: identity (any coding would be allowed, but a client that sent nothing may
 *   not decode one; every mainstream server answers identity here);
 * - empty header: identity ("the user agent does not want any content coding");
 * - the highest q wins; among equal q the server's order (`offered`) decides, so
 *   `gzip, br` yields `br` when br is offered first;
 * - `x-gzip` counts as `gzip` (§8.4.1.3);
 * - identity is acceptable unless `identity;q=0`, or `*;q=0` with no `identity` entry
 *   (negotiator applies this rule: it only adds identity when no member, `*` included, covers it);
 * - unparseable members, and members whose q is not a qvalue, are ignored, so garbage degrades
 *   to identity.
 *
 * `offered` is the server's preference order; it must not contain `identity`.
 */
export function negotiateEncoding(
  acceptEncoding: string | undefined,
  offered: readonly Coding[],
): Negotiated {
  if (acceptEncoding === undefined) return 'identity'
  let header = acceptEncoding.length > MAX_HEADER_LENGTH ? '' : acceptEncoding
  if (header.trim() === '') return 'identity'
  if (/x-gzip/i.test(header)) header = header.replace(/(^|[\s,])x-gzip(?=\s*(?:[;,]|$))/gi, '$1gzip')
  header = dropInvalidQValues(header)
  if (header.trim() === '') return 'identity'

  const negotiator = new Negotiator({
    headers: { 'accept-encoding': header },
  }) as unknown as RankingNegotiator
  const candidates: string[] = [...offered, 'identity']
  const ranked = negotiator.encodings(candidates, { preferred: candidates })
  // An empty ranking means every offered coding and identity are refused.
  const first = ranked[0]
  return first === undefined ? null : (first as Coding | 'identity')
}

/**
 * Whether the client accepts the identity coding (RFC 9110 §12.5.3): false only for
 * `identity;q=0`, or `*;q=0` without an `identity` entry, exactly as {@link negotiateEncoding}
 * reads the header. Only a member weighted with `q=0` can refuse identity, and every such
 * member has an `=`, so the values browsers send (`gzip, deflate, br, zstd`) are answered
 * without parsing.
 */
export function identityAcceptable(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined || !acceptEncoding.includes('=')) return true
  return negotiateEncoding(acceptEncoding, []) === 'identity'
}
