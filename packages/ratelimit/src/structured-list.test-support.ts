/**
 * A strict reader for the subset of RFC 8941 Structured Fields the RateLimit draft uses: a
 * List whose members are sf-strings with Integer parameters. Tests use it to prove that the
 * fields the limiter writes parse exactly as a client would parse them. Throws on anything
 * outside the grammar.
 */
export interface ListMember {
  value: string
  params: Record<string, number>
}

const MEMBER = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"((?:;[a-z*][a-z0-9_.*-]*=-?\d{1,15})*)/

export function parseStringList(field: string): ListMember[] {
  const members: ListMember[] = []
  let rest = field.replace(/^ +| +$/g, '')
  for (;;) {
    const match = MEMBER.exec(rest)
    if (match === null) throw new SyntaxError(`not an sf-list of strings: ${JSON.stringify(field)}`)
    const params: Record<string, number> = {}
    for (const param of (match[2] ?? '').split(';').slice(1)) {
      const [name, value] = param.split('=') as [string, string]
      if (name in params) throw new SyntaxError(`duplicate parameter ${name}`)
      params[name] = Number(value)
    }
    members.push({ value: (match[1] ?? '').replace(/\\(["\\])/g, '$1'), params })
    rest = rest.slice(match[0].length)
    if (rest === '') return members
    const separator = /^[ \t]*,[ \t]*/.exec(rest)
    if (separator === null || separator[0].length === rest.length) {
      throw new SyntaxError(`bad list separator in ${JSON.stringify(field)}`)
    }
    rest = rest.slice(separator[0].length)
  }
}
