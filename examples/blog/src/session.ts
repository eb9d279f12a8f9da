import { createHmac, timingSafeEqual } from 'node:crypto'
import { parse as parseCookies, serialize as serializeCookie } from 'cookie'

/** The session cookie's name. */
export const SESSION_COOKIE = 'blog_session'

/** How long a login lasts. */
const SESSION_SECONDS = 8 * 60 * 60

/** What the signed cookie carries: who is logged in, until when. */
export interface Session {
  userId: number
  /** Expiry, seconds since the epoch. */
  expires: number
}

/**
 * A stateless session in a signed cookie: `<userId>.<expires>.<HMAC-SHA256>`. The signature
 * stops a visitor from forging another user's id; nothing secret is stored in the cookie.
 */
export class SessionCodec {
  private readonly secret: string
  private readonly secure: boolean

  constructor(secret: string, secure: boolean) {
    this.secret = secret
    this.secure = secure
  }

  /** The `Set-Cookie` value that logs `userId` in. */
  issue(userId: number, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + SESSION_SECONDS
    const payload = `${userId}.${expires}`
    return this.cookie(`${payload}.${this.sign(payload)}`, SESSION_SECONDS)
  }

  /** The `Set-Cookie` value that logs out. */
  clear(): string {
    return this.cookie('', 0)
  }

  /** The session in a `Cookie` request header, or undefined when absent, forged or expired. */
  read(cookieHeader: string | undefined, now = Date.now()): Session | undefined {
    const value = cookieValue(cookieHeader, SESSION_COOKIE)
    if (value === undefined) return undefined
    const match = /^(\d{1,15})\.(\d{1,15})\.([\w-]{43})$/.exec(value)
    if (match === null) return undefined
    const [, userId, expires, signature] = match as unknown as [string, string, string, string]
    const expected = Buffer.from(this.sign(`${userId}.${expires}`))
    if (!timingSafeEqual(expected, Buffer.from(signature))) return undefined
    if (Number(expires) * 1000 <= now) return undefined
    return { userId: Number(userId), expires: Number(expires) }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url')
  }

  // SameSite=Lax keeps the cookie off cross-site POSTs, which is this demo's CSRF defence
  // for its forms; the JSON admin API also demands a JSON content type (a cross-site form
  // cannot send one without a CORS preflight).
  private cookie(value: string, maxAge: number): string {
    return serializeCookie(SESSION_COOKIE, value, {
      path: '/',
      maxAge,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
    })
  }
}

/** The value of cookie `name` in a `Cookie` header (jshttp `cookie`), or undefined. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  // A session cookie is ~70 bytes; a huge header is refused before parsing it.
  if (header === undefined || header.length > 8192) return undefined
  return parseCookies(header)[name]
}
