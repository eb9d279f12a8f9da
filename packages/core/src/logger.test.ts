import { describe, expect, it } from 'vitest'
import { BackendGuard } from './backend-guard.js'
import { resolveLogger } from './logger.js'
import { BriskOptionError } from './options-error.js'

describe('resolveLogger', () => {
  it('takes pino-shaped loggers, console included, and false for silence', () => {
    const logger = { error() {}, warn() {}, info() {}, debug() {} }
    expect(resolveLogger(logger)).toBe(logger)
    expect(resolveLogger(console)).toBe(console)
    expect(() => resolveLogger(false).warn({}, 'nothing printed')).not.toThrow()
  })

  it.each<[string, unknown]>([
    ['a string', 'x'],
    ['an empty object', {}],
    ['an object missing debug', { error() {}, warn() {}, info() {} }],
    ['null', null],
    ['true', true],
  ])('refuses %s at creation, before an incident would call it', (_label, value) => {
    expect(() => resolveLogger(value as never)).toThrow(BriskOptionError)
    expect(() => new BackendGuard({ name: 'test', logger: value as never })).toThrow(/logger/)
  })
})
