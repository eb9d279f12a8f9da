import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'

// scrypt with Node's defaults (N=16384, r=8, p=1): memory-hard, and in node:crypto, so the
// demo needs no native password library.
const KEY_LENGTH = 32

/** `scrypt$<salt>$<hash>`, both base64url. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16)
  const hash = scryptSync(password, salt, KEY_LENGTH)
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

/** Whether `password` matches a hash from {@link hashPassword}; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, 'base64url')
  if (expected.length !== KEY_LENGTH) return false
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, Buffer.from(salt, 'base64url'), KEY_LENGTH, (error, key) =>
      error === null ? resolve(key) : reject(error),
    ),
  )
  return timingSafeEqual(actual, expected)
}
