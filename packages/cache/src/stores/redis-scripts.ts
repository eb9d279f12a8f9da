import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/** A single-node client (also one configured for Sentinel) or a Cluster client. */
export type RedisClient = Redis | Cluster

/** A Lua script run by SHA (EVALSHA), loaded with EVAL the first time a node lacks it. */
export interface RedisScript {
  readonly source: string
  readonly sha: string
}

export function defineScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Runs a script on the node owning `keys` (they must share a slot on Cluster). Scripts are
 * sent by SHA; a node that answers NOSCRIPT (new, restarted, failed over) gets the source once.
 * Running them through the client's own eval keeps the user's client unmodified (no
 * defineCommand on an object we do not own).
 */
export async function runScript(
  client: RedisClient,
  script: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return client.eval(script.source, keys.length, ...keys, ...args)
    }
    throw error
  }
}

/**
 * Adds an entry key to a tag's set and makes the set live at least as long as the entry:
 * a new set gets the entry's TTL, a set that would expire sooner is extended, a set kept
 * without expiry (some entry has none) stays so. ARGV[2] < 0 means the entry never expires.
 * Single key, so it is atomic and Cluster-safe.
 */
export const INDEX_TAG = defineScript(`
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl < 0 then
  redis.call('PERSIST', KEYS[1])
  return 1
end
local current = redis.call('PTTL', KEYS[1])
if existed == 0 or (current >= 0 and current < ttl) then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

/** Deletes a lock only while it still holds our token (compare-and-delete). */
export const RELEASE_LOCK = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

/** Whether the client is a Cluster client (ioredis sets `isCluster` on both kinds). */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster
}
