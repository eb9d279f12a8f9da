import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { quietClientErrors } from './quiet-client-errors.js'

describe('quietClientErrors', () => {
  it('lets a client without a listener emit errors without throwing', () => {
    const client = new EventEmitter()
    expect(() => client.emit('error', new Error('before'))).toThrow('before')
    quietClientErrors(client)
    expect(() => client.emit('error', new Error('after'))).not.toThrow()
  })

  it('leaves a client that has a listener as it is, and the app still hears every error', () => {
    const client = new EventEmitter()
    const heard: unknown[] = []
    client.on('error', (error) => heard.push(error))
    quietClientErrors(client)
    expect(client.listenerCount('error')).toBe(1)
    client.emit('error', 'x')
    expect(heard).toEqual(['x'])
  })

  it('adds one listener however many stores share the client', () => {
    const client = new EventEmitter()
    quietClientErrors(client)
    quietClientErrors(client)
    expect(client.listenerCount('error')).toBe(1)
  })

  it('ignores values that are not emitters', () => {
    expect(() => quietClientErrors(null)).not.toThrow()
    expect(() => quietClientErrors({ on: 1 })).not.toThrow()
  })
})
