/**
 * A strict parser for RFC 9651 Structured Field Lists (§4.2, the parsing algorithms), written
 * for the audit tests from the RFC's text alone: it does not share code with the limiter or its
 * own test helpers, so a field it accepts is one any conforming client library would accept.
 * Every bare item type is recognised (Integer, Decimal, String, Token, Byte Sequence, Boolean,
 * Date, Display String); a field outside the grammar throws a SyntaxError naming the position.
 */

export class SfToken {
  constructor(readonly name: string) {}
}
export class SfDate {
  constructor(readonly seconds: number) {}
}
export class SfDisplayString {
  constructor(readonly text: string) {}
}

export type BareItem = number | string | boolean | SfToken | SfDate | SfDisplayString | Uint8Array
export type Parameters = Map<string, BareItem>
export interface SfItem {
  value: BareItem
  params: Parameters
  /** True when this integer-or-decimal was written as an Integer (no dot). */
  integer: boolean
}
export interface SfInnerList {
  inner: SfItem[]
  params: Parameters
}
export type ListMember = SfItem | SfInnerList

/** Parses one field value as a List (several field lines are joined with ", " first, §4.2). */
export function parseList(input: string | string[]): ListMember[] {
  const text = Array.isArray(input) ? input.join(', ') : input
  const parser = new Parser(text)
  parser.skipSp()
  const members = parser.list()
  parser.skipSp()
  if (!parser.done()) parser.fail('trailing characters')
  return members
}

class Parser {
  private at = 0
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length
  }

  fail(why: string): never {
    throw new SyntaxError(`RFC 9651: ${why} at ${this.at} in ${JSON.stringify(this.text)}`)
  }

  private peek(): string {
    return this.text[this.at] ?? ''
  }

  skipSp(): void {
    while (this.peek() === ' ') this.at++
  }

  private skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.at++
  }

  list(): ListMember[] {
    const members: ListMember[] = []
    while (!this.done()) {
      members.push(this.peek() === '(' ? this.innerList() : this.item())
      this.skipOws()
      if (this.done()) return members
      if (this.text[this.at++] !== ',') this.fail('expected ","')
      this.skipOws()
      if (this.done()) this.fail('trailing comma')
    }
    return members
  }

  private innerList(): SfInnerList {
    this.at++ // (
    const inner: SfItem[] = []
    while (!this.done()) {
      this.skipSp()
      if (this.peek() === ')') {
        this.at++
        return { inner, params: this.parameters() }
      }
      inner.push(this.item())
      const next = this.peek()
      if (next !== ' ' && next !== ')') this.fail('expected " " or ")" in inner list')
    }
    return this.fail('unterminated inner list')
  }

  private item(): SfItem {
    const start = this.at
    const value = this.bareItem()
    const integer = typeof value === 'number' && !this.text.slice(start, this.at).includes('.')
    return { value, params: this.parameters(), integer }
  }

  private parameters(): Parameters {
    const params: Parameters = new Map()
    while (this.peek() === ';') {
      this.at++
      this.skipSp()
      const key = this.key()
      let value: BareItem = true
      if (this.peek() === '=') {
        this.at++
        value = this.bareItem()
      }
      params.set(key, value) // a repeated key overwrites (§4.2.3.2)
    }
    return params
  }

  private key(): string {
    const match = /^[a-z*][a-z0-9_\-.*]*/.exec(this.text.slice(this.at))
    if (match === null) this.fail('bad parameter key')
    this.at += match[0].length
    return match[0]
  }

  private bareItem(): BareItem {
    const c = this.peek()
    if (c === '-' || (c >= '0' && c <= '9')) return this.number()
    if (c === '"') return this.string()
    if (c === '*' || /[A-Za-z]/.test(c)) return this.token()
    if (c === ':') return this.byteSequence()
    if (c === '?') return this.boolean()
    if (c === '@') {
      this.at++
      const start = this.at
      const seconds = this.number()
      if (this.text.slice(start, this.at).includes('.')) this.fail('a Date is an integer')
      return new SfDate(seconds)
    }
    if (c === '%') return this.displayString()
    return this.fail('not a bare item')
  }

  private number(): number {
    const match = /^(-?)(\d+)(?:\.(\d+))?/.exec(this.text.slice(this.at))
    if (match === null) this.fail('expected a digit')
    const [whole, , int, frac] = match
    if (frac === undefined) {
      if (int!.length > 15) this.fail('Integer longer than 15 digits')
    } else if (int!.length > 12 || frac.length > 3) this.fail('Decimal out of range')
    this.at += whole.length
    return Number(whole)
  }

  private string(): string {
    this.at++ // "
    let out = ''
    while (!this.done()) {
      const c = this.text[this.at++]!
      if (c === '\\') {
        const next = this.text[this.at++]
        if (next !== '"' && next !== '\\') this.fail('bad escape in String')
        out += next
      } else if (c === '"') return out
      else if (c < ' ' || c > '~') this.fail('character outside %x20-7E in String')
      else out += c
    }
    return this.fail('unterminated String')
  }

  private token(): SfToken {
    const match = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.text.slice(this.at))
    this.at += match![0].length
    return new SfToken(match![0])
  }

  private byteSequence(): Uint8Array {
    const match = /^:([A-Za-z0-9+/=]*):/.exec(this.text.slice(this.at))
    if (match === null) this.fail('bad Byte Sequence')
    this.at += match[0].length
    return Uint8Array.from(Buffer.from(match[1]!, 'base64'))
  }

  private boolean(): boolean {
    const match = /^\?([01])/.exec(this.text.slice(this.at))
    if (match === null) this.fail('bad Boolean')
    this.at += 2
    return match[1] === '1'
  }

  private displayString(): SfDisplayString {
    if (this.text[this.at + 1] !== '"') this.fail('bad Display String')
    this.at += 2
    const bytes: number[] = []
    while (!this.done()) {
      const c = this.text[this.at++]!
      if (c === '"') return new SfDisplayString(Buffer.from(bytes).toString('utf8'))
      if (c === '%') {
        const hex = this.text.slice(this.at, this.at + 2)
        if (!/^[0-9a-f]{2}$/.test(hex)) this.fail('bad percent-encoding')
        bytes.push(parseInt(hex, 16))
        this.at += 2
      } else if (c < ' ' || c > '~') this.fail('bad Display String character')
      else bytes.push(c.charCodeAt(0))
    }
    return this.fail('unterminated Display String')
  }
}
