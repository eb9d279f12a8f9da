import type { IncomingMessage } from 'node:http'
import { BriskOptionError } from '@brisk/core'
import proxyAddr from 'proxy-addr'

/**
 * Which proxies to believe about `X-Forwarded-For`, in the forms Express's `trust proxy`
 * takes: `false` (none: the socket address), `true` (all), a hop count, addresses / subnets /
 * the names `loopback`, `linklocal`, `uniquelocal` (a list or a comma-separated string), or a
 * function `(address, hop) => boolean`.
 */
export type TrustProxy =
  boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean)

/** Resolves the client address of a request. */
export type ClientAddressOf = (req: IncomingMessage) => string

const socketAddress: ClientAddressOf = (req) => req.socket.remoteAddress ?? ''

/**
 * Compiles the `trustProxy` option once, at creation, into the function each request uses;
 * the address walk itself is proxy-addr's (the same rules Express applies for `req.ip`).
 */
export function compileClientAddress(trustProxy: TrustProxy = false): ClientAddressOf {
  if (trustProxy === false) return socketAddress
  let trust: (address: string, hop: number) => boolean
  if (trustProxy === true) trust = () => true
  else if (typeof trustProxy === 'number') {
    if (!Number.isInteger(trustProxy) || trustProxy < 0) {
      throw new BriskOptionError('trustProxy', trustProxy, 'a non-negative integer count of proxy hops')
    }
    trust = (_address, hop) => hop < trustProxy
  } else if (typeof trustProxy === 'function') trust = trustProxy
  else if (typeof trustProxy === 'string' || Array.isArray(trustProxy)) {
    const list =
      typeof trustProxy === 'string' ? trustProxy.split(',').map((part) => part.trim()) : [...trustProxy]
    try {
      trust = proxyAddr.compile(list)
    } catch (error) {
      throw new BriskOptionError(
        'trustProxy',
        trustProxy,
        `IP addresses or subnets, or loopback / linklocal / uniquelocal (${(error as Error).message})`,
      )
    }
  } else {
    throw new BriskOptionError(
      'trustProxy',
      trustProxy,
      'false, true, a hop count, addresses or subnets (string or list), or a function (address, hop) => boolean',
    )
  }
  return (req) => proxyAddr(req, trust)
}
